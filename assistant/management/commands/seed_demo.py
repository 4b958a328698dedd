"""Create the demo organisation: groups, people and how to sign in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from assistant import env

DEMO_GROUPS = ("HR", "Engineering", "Finance")

# (username, full name, groups, is_admin)
DEMO_PEOPLE: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("alice", "Alice Martin", ("HR",), False),
    ("bob", "Bob Okafor", ("Engineering",), False),
    ("carol", "Carol Nguyen", (), True),
    ("dave", "Dave Keller", (), False),
)


class Command(BaseCommand):
    help = "Create demo groups and people (idempotent) and print how to sign in."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--password",
            default=env.env_str("DEMO_PASSWORD", "demo-password"),
            help="password for every demo person (default: $DEMO_PASSWORD or 'demo-password')",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in DEMO_GROUPS}
        for username, full_name, group_names, is_admin in DEMO_PEOPLE:
            first, last = full_name.split(" ", 1)
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                },
            )
            if created:
                user.set_password(options["password"])
            user.is_staff = is_admin
            user.is_superuser = is_admin
            user.save()
            user.groups.set([groups[name] for name in group_names])
        self.stdout.write(
            self.style.SUCCESS("Demo organisation ready. Sign in at http://127.0.0.1:8000/")
        )
        for username, _, group_names, is_admin in DEMO_PEOPLE:
            role = "admin" if is_admin else (", ".join(group_names) or "no groups")
            self.stdout.write(f"  {username:<6} password {options['password']!r}  ({role})")
