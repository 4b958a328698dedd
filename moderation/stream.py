"""Incremental moderation of streamed output, decided at sentence boundaries."""

from __future__ import annotations

import re
from collections.abc import Sequence

from moderation.check import check, decide, downgrade_supported
from moderation.policy import Policy
from moderation.verdict import Action, Stage, Verdict

# A sentence ends at . ! ? or … followed by whitespace (so "e.g.x" and "jo.doe@x.com" do not
# split), or at a line break. A run of stops is only tried from its first character: from each
# of them, a long run with no white space after it would be read again to its end.
_BOUNDARY = re.compile(r"(?<![.!?…])[.!?…]+[\"')\]]*\s+|\n")
# Text with no boundary is still checked once it grows this long, so a model that never
# ends a sentence cannot stream unchecked.
MAX_PENDING = 600


class StreamModerator:
    """Feed tokens in; get back only text that has been checked and may be shown.

    `passages` are the texts of the prompt's sources as the model read them, in citation order
    ([1] first), all readable by the asker. A sentence that would be blocked for a harm category
    alone but quotes or closely paraphrases one of them is flagged instead of blocked
    (`moderation.check.downgrade_supported`): the asker may read that passage anyway.
    """

    def __init__(
        self,
        *,
        stage: Stage | str = Stage.OUTPUT,
        policy: Policy | None = None,
        passages: Sequence[str] = (),
    ) -> None:
        self.stage = Stage(stage)
        self.policy = policy
        self.passages = tuple(passages)
        self._pending = ""
        self._verdicts: list[Verdict] = []
        self._block: Verdict | None = None

    @property
    def blocked(self) -> bool:
        """True once a sentence was blocked; nothing more is released after that."""
        return self._block is not None

    @property
    def verdicts(self) -> list[Verdict]:
        """The verdict of every released or blocked piece, in order."""
        return list(self._verdicts)

    @property
    def block_verdict(self) -> Verdict | None:
        """The verdict that stopped the stream, if any."""
        return self._block

    def feed(self, delta: str) -> str:
        """Add streamed text; return what is safe to emit now (possibly redacted)."""
        if self._block is not None:
            return ""
        self._pending += delta
        cut = 0
        for match in _BOUNDARY.finditer(self._pending):
            cut = match.end()
        if cut == 0 and len(self._pending) >= MAX_PENDING:
            space = self._pending.rfind(" ")
            cut = space + 1 if space > 0 else len(self._pending)
        if cut == 0:
            return ""
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._release(ready)

    def finish(self) -> str:
        """Check and return whatever is left at the end of the stream."""
        if self._block is not None or not self._pending:
            return ""
        ready, self._pending = self._pending, ""
        return self._release(ready)

    def _release(self, text: str) -> str:
        try:
            verdict = check(text, stage=self.stage, policy=self.policy)
            if self.passages:
                verdict = downgrade_supported(
                    verdict, text, passages=self.passages, policy=self.policy
                )
        except Exception as exc:  # feed() must not raise into the streaming loop: fail closed
            verdict = self._failure(text, exc)
        self._verdicts.append(verdict)
        if verdict.action is Action.BLOCK:
            self._block = verdict
            self._pending = ""
            return ""
        if verdict.action is Action.REDACT and verdict.redacted_text is not None:
            return verdict.redacted_text
        return text

    def _failure(self, text: str, exc: Exception) -> Verdict:
        from moderation.check import active_policy

        policy = self.policy or active_policy()
        verdict = decide(
            text, stage=self.stage, policy=policy, scores={}, errors=[f"check: {exc!r}"]
        )
        if verdict.action is Action.ALLOW:  # an error must never release unchecked text
            return Verdict(stage=self.stage, action=Action.BLOCK, errors=verdict.errors)
        return verdict
