"""SCIM filters (RFC 7644 §3.4.2.2), parsed by scim2-models, as Django query conditions.

Only the attributes the product keeps can be filtered on; any other is refused with
`invalidFilter` rather than matching nothing, so a client never mistakes an unsupported filter for
an empty directory. Ordering comparisons (gt, ge, lt, le) are refused too: no identity provider
sends them for users or groups, and case-insensitive ordering of names would need more than a
plain column comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import and_, or_
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Q
from scim2_models import InvalidFilterException
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

NOTHING = Q(pk__in=[])

_STRING_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.ne: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
}


def _string(field: str, *, case_exact: bool) -> Callable[[Comparison], Q]:
    """A comparison of a text column, case-insensitive unless the attribute is case-exact."""

    def compare(node: Comparison) -> Q:
        lookup = _STRING_LOOKUPS.get(node.op)
        if lookup is None:
            raise InvalidFilterException(
                detail=f"{node.attr_path} {node.op.value}: ordering comparisons are not supported"
            )
        if not isinstance(node.value, str):
            raise InvalidFilterException(detail=f"{node.attr_path} is compared with a string")
        condition = Q(**{f"{field}__{lookup if case_exact else 'i' + lookup}": node.value})
        return ~condition if node.op == CompareOperator.ne else condition

    return compare


def _identifier(field: str) -> Callable[[Comparison], Q]:
    """`id eq "12"`: the ids of this service are numbers written as strings."""

    def compare(node: Comparison) -> Q:
        if node.op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail=f"{node.attr_path} supports only eq and ne")
        value = str(node.value)
        condition = Q(**{field: int(value)}) if value.isdigit() else NOTHING
        return ~condition if node.op == CompareOperator.ne else condition

    return compare


def _boolean(field: str) -> Callable[[Comparison], Q]:
    def compare(node: Comparison) -> Q:
        value = node.value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            value = value.lower() == "true"
        if node.op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, bool):
            raise InvalidFilterException(detail=f"{node.attr_path} is compared with eq true/false")
        condition = Q(**{field: value})
        return ~condition if node.op == CompareOperator.ne else condition

    return compare


def _email_type(node: Comparison) -> Q:
    """`type eq "work"` of an email: the one address an account keeps is its work address."""
    has_email = ~Q(email="")
    wanted = isinstance(node.value, str) and node.value.lower() == "work"
    if node.op == CompareOperator.eq:
        return has_email if wanted else NOTHING
    if node.op == CompareOperator.ne:
        return Q() if not wanted else NOTHING
    raise InvalidFilterException(detail="emails.type supports only eq and ne")


# attribute (lower case), sub-attribute (lower case or None) -> how a comparison reads.
Comparisons = dict[tuple[str, str | None], Callable[[Comparison], Q]]
# attribute, sub-attribute -> the condition `attr pr` stands for.
Presences = dict[tuple[str, str | None], Q]

USER_COMPARISONS: Comparisons = {
    ("id", None): _identifier("pk"),
    ("username", None): _string("username", case_exact=False),
    ("externalid", None): _string("directory_account__external_id", case_exact=True),
    ("emails", "value"): _string("email", case_exact=False),
    ("emails", "type"): _email_type,
    ("name", "givenname"): _string("first_name", case_exact=False),
    ("name", "familyname"): _string("last_name", case_exact=False),
    ("active", None): _boolean("is_active"),
}
USER_PRESENCES: Presences = {
    ("id", None): Q(),
    ("username", None): Q(),
    ("active", None): Q(),
    ("externalid", None): Q(directory_account__external_id__isnull=False),
    ("emails", None): ~Q(email=""),
    ("emails", "value"): ~Q(email=""),
    ("name", None): ~Q(first_name="") | ~Q(last_name=""),
    ("name", "givenname"): ~Q(first_name=""),
    ("name", "familyname"): ~Q(last_name=""),
}

GROUP_COMPARISONS: Comparisons = {
    ("id", None): _identifier("pk"),
    ("displayname", None): _string("name", case_exact=False),
    ("externalid", None): _string("directory_group__external_id", case_exact=True),
}
GROUP_PRESENCES: Presences = {
    ("id", None): Q(),
    ("displayname", None): Q(),
    ("externalid", None): Q(directory_group__external_id__isnull=False),
}
# Within a member: its value is the account's id (a row of the membership table).
MEMBER_COMPARISONS: Comparisons = {("value", None): _identifier("user_id")}


def _key(attr: str, sub_attr: str | None) -> tuple[str, str | None]:
    return attr.lower(), sub_attr.lower() if sub_attr else None


def _unsupported(what: str) -> InvalidFilterException:
    return InvalidFilterException(detail=f"Filtering on {what} is not supported")


class _Translator:
    """Walk a parsed filter and build the Q it stands for."""

    def __init__(self, comparisons: Comparisons, presences: Presences, *, members: bool) -> None:
        self.comparisons = comparisons
        self.presences = presences
        self.members = members

    def q(self, node: FilterNode, prefix: str | None = None) -> Q:
        if isinstance(node, LogicalExpr):
            terms = [self.q(term, prefix) for term in node.terms]
            return reduce(and_ if node.op == LogicalOperator.and_ else or_, terms)
        if isinstance(node, Not):
            return ~self.q(node.expr, prefix)
        if isinstance(node, ValuePath):
            if prefix is not None:
                raise InvalidFilterException(detail="A value filter cannot nest another one")
            return self._value_path(node)
        if isinstance(node, Present):
            attr, sub = _key(node.attr_path.attr, node.attr_path.sub_attr)
            if prefix is not None:
                attr, sub = prefix, attr
            if self.members and attr == "members":
                return _groups_with_members(Q())
            if (attr, sub) not in self.presences:
                raise _unsupported(str(node.attr_path))
            return self.presences[(attr, sub)]
        if isinstance(node, Comparison):
            return self._comparison(node, prefix)
        raise _unsupported(str(node))

    def _comparison(self, node: Comparison, prefix: str | None) -> Q:
        attr, sub = _key(node.attr_path.attr, node.attr_path.sub_attr)
        if prefix is not None:
            attr, sub = prefix, attr
        if self.members and attr == "members":
            # `members eq "12"` compares the members' values (RFC 7644 §3.4.2.2).
            inner = MEMBER_COMPARISONS.get((sub or "value", None))
            if inner is None:
                raise _unsupported(f"members.{sub}")
            return _groups_with_members(inner(node))
        if sub is None and (attr, "value") in self.comparisons:
            sub = "value"
        compare = self.comparisons.get((attr, sub))
        if compare is None:
            raise _unsupported(f"{attr}.{sub}" if sub else attr)
        return compare(node)

    def _value_path(self, node: ValuePath) -> Q:
        attr = node.attr_path.attr.lower()
        if self.members and attr == "members":
            # The whole inner filter must hold for one member: one row of the membership table.
            inner = _Translator(MEMBER_COMPARISONS, {}, members=False)
            return _groups_with_members(inner.q(node.val_filter))
        if attr == "emails" and not self.members:
            # An account keeps one address, so "one entry matches" is "the account matches".
            return self.q(node.val_filter, prefix="emails")
        raise _unsupported(f"{node.attr_path}[...]")


def _groups_with_members(condition: Q) -> Q:
    through = Group.user_set.through  # type: ignore[attr-defined]
    return Q(pk__in=through.objects.filter(condition).values("group_id"))


def user_filter_q(ast: Any) -> Q:
    """The condition on accounts a parsed SCIM filter stands for."""
    return _Translator(USER_COMPARISONS, USER_PRESENCES, members=False).q(ast)


def group_filter_q(ast: Any) -> Q:
    """The condition on groups a parsed SCIM filter stands for."""
    return _Translator(GROUP_COMPARISONS, GROUP_PRESENCES, members=True).q(ast)
