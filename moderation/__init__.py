"""Moderation of what goes into and comes out of the assistant (plain Python, no Django).

Importing this package loads no model: classifiers load on the first check, once per process.
"""

from __future__ import annotations

from moderation.categories import Category
from moderation.check import active_policy, check, warm_up
from moderation.pii import find_pii, redact
from moderation.policy import Policy, PolicyError, Rule, StagePolicy, default_policy, load_policy
from moderation.stream import StreamModerator
from moderation.verdict import Action, PiiSpan, Stage, Verdict

__all__ = [
    "Action",
    "Category",
    "PiiSpan",
    "Policy",
    "PolicyError",
    "Rule",
    "Stage",
    "StagePolicy",
    "StreamModerator",
    "Verdict",
    "active_policy",
    "check",
    "default_policy",
    "find_pii",
    "load_policy",
    "redact",
    "warm_up",
]
