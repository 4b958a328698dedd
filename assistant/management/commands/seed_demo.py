"""Create the demo organisation: groups, people and how to sign in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.files import File
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


DEMO_DOCUMENTS_DIR = Path(__file__).resolve().parents[2] / "demo_documents"
# file name -> groups that may read it; an empty tuple means org-wide.
DEMO_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "travel-and-expenses.md": (),
    "office-guide.md": (),
    "parental-leave.md": (),
    "salary-bands-2026.md": ("HR",),
    "incident-runbook.md": ("Engineering",),
}


def seed_documents(owner: User, groups: dict[str, Group]) -> list[str]:
    """Queue the demo documents for ingestion (skipping any already uploaded)."""
    from retrieval.services import DuplicateDocument, document_create

    created = []
    for name, readers in DEMO_DOCUMENTS.items():
        with (DEMO_DOCUMENTS_DIR / name).open("rb") as handle:
            try:
                document_create(
                    file=File(handle, name=name),
                    owner=owner,
                    org_wide=not readers,
                    groups=[groups[group] for group in readers],
                    filename=name,
                    actor_label="manage.py seed_demo",
                )
            except DuplicateDocument:
                continue
        created.append(name)
    return created


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
        queued = seed_documents(User.objects.get(username="carol"), groups)
        if queued:
            self.stdout.write(
                f"Queued {len(queued)} demo documents for ingestion: {', '.join(queued)}"
            )
        self.stdout.write(
            self.style.SUCCESS("Demo organisation ready. Sign in at http://127.0.0.1:8000/")
        )
        for username, _, group_names, is_admin in DEMO_PEOPLE:
            role = "admin" if is_admin else (", ".join(group_names) or "no groups")
            self.stdout.write(f"  {username:<6} password {options['password']!r}  ({role})")
