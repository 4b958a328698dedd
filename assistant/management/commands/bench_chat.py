"""Load the running web app with N concurrent chat users and report latency and failures."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from assistant.loadtest import run_load


class Command(BaseCommand):
    help = "Run N signed-in chat users against a running server (make run) for a bounded time."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--users", type=int, default=16)
        parser.add_argument("--seconds", type=float, default=120.0)
        parser.add_argument("--json", type=Path, dest="json_out")

    def handle(self, *args: Any, **options: Any) -> None:
        # Load users are ordinary employees with no groups: they read org-wide documents only.
        password = secrets.token_urlsafe(16)
        people = []
        for index in range(options["users"]):
            user, _ = User.objects.get_or_create(username=f"load-{index:02d}")
            user.set_password(password)
            user.save()
            user.groups.set(Group.objects.none())
            people.append((user.username, password))
        figures = run_load(base_url=options["base_url"], people=people, seconds=options["seconds"])
        for key, value in figures.items():
            self.stdout.write(f"{key:>14}: {value}")
        if options["json_out"]:
            options["json_out"].write_text(json.dumps(figures, indent=2))
