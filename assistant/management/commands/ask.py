"""Ask the assistant a question as a given person and print the answer with its sources."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from assistant.chat.selectors import conversation_for
from assistant.models import Surface
from assistant.pipeline import answer


class Command(BaseCommand):
    help = (
        'Answer a question with the documents USER may read: manage.py ask --user alice "question"'
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("question", help="the question, in quotes")
        parser.add_argument("--user", required=True, help="username whose access applies")
        parser.add_argument("--trace", action="store_true", help="also print the answer's trace")
        parser.add_argument(
            "--conversation",
            type=int,
            help="continue this conversation of USER (its turns are the history)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(username=options["user"])
        except User.DoesNotExist:
            raise CommandError(f"no user named {options['user']!r}") from None
        question = options["question"].strip()
        if not question:
            raise CommandError("the question is empty")

        conversation = None
        if options["conversation"] is not None:
            try:
                conversation = conversation_for(user, options["conversation"])
            except Http404:
                raise CommandError(
                    f"{options['user']} has no conversation {options['conversation']}"
                ) from None
        result = answer(
            user=user, question=question, conversation=conversation, surface=Surface.CLI
        )
        self.stdout.write(self.style.MIGRATE_HEADING(f"Answer ({result.message.status}):"))
        self.stdout.write(result.text)
        if result.citations:
            self.stdout.write("")
            self.stdout.write(self.style.MIGRATE_HEADING("Sources:"))
            for citation in result.citations:
                where = f", {citation['location']}" if citation["location"] else ""
                self.stdout.write(
                    f"  [{citation['n']}] {citation['title']}{where} (chunk {citation['chunk_id']})"
                )
        if options["trace"]:
            import json

            self.stdout.write(json.dumps(result.message.trace, indent=2, default=str))
