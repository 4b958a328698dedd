"""What the SCIM service publishes: its resources as the product keeps them, and its capabilities.

The published User and Group carry only the attributes an account or a group really keeps, so a
client (or a conformance checker) that reads /Schemas gets back exactly what it wrote. Requests
are read with the full core schemas (and the enterprise extension) instead: identity providers
send attributes such as `title` or `phoneNumbers` by default, which are accepted and ignored,
while an attribute no schema declares is refused.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import scim2_models as scim
from pydantic import Field
from scim2_models import (
    URN,
    CaseExact,
    ComplexAttribute,
    Mutability,
    Reference,
    Required,
    Resource,
    Uniqueness,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

# The most resources one list answer holds (and what it holds when the client names no count).
MAX_RESULTS = 100

# How much the payloads of identity providers may depart from RFC 7644. Microsoft Entra ID sends
# `remove` operations whose `value` names the members to remove, and `add` operations on a
# filtered path that matches nothing yet (`emails[type eq "work"].value` on a person with no
# email); both are read as Entra means them.
POLICY = scim.ScimPolicy(
    remove_value_as_filter=scim.ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=scim.ScimPolicy.UnmatchedPathFilter.create,
)

# The models requests are read with.
InputUser = scim.User[scim.EnterpriseUser]
InputGroup = scim.Group


class Name(ComplexAttribute):
    """The parts of a person's name an account keeps."""

    given_name: str | None = None
    family_name: str | None = None


class Email(ComplexAttribute):
    """The account's one email address: the directory's primary (or work) address.

    It is published without `primary`: with a single address, the flag would say nothing, and a
    client would get back a value it did not send.
    """

    value: str | None = None
    type: str | None = Field(None, examples=["work"])


class GroupMembership(ComplexAttribute):
    """A directory group the account belongs to."""

    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    # A reference names the resource type it points to, hence the string.
    ref: Annotated[Reference["Group"] | None, Mutability.read_only] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display: Annotated[str | None, Mutability.read_only] = None
    type: Annotated[str | None, Mutability.read_only] = Field(None, examples=["direct"])


class User(Resource[Any]):
    """A person's account in the assistant."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    name: Name | None = None
    active: bool | None = None
    emails: list[Email] | None = None
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None


class GroupMember(ComplexAttribute):
    """An account in a group (groups do not nest)."""

    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])


class Group(Resource[Any]):
    """A group of accounts; documents can be shared with it."""

    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None


def service_provider_config(*, location: str) -> scim.ServiceProviderConfig:
    """What the service supports: PATCH and filters; no bulk, sorting, ETags or passwords."""
    return scim.ServiceProviderConfig(
        patch=scim.Patch(supported=True),
        bulk=scim.Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=scim.Filter(supported=True, max_results=MAX_RESULTS),
        change_password=scim.ChangePassword(supported=False),
        sort=scim.Sort(supported=False),
        etag=scim.ETag(supported=False),
        authentication_schemes=[
            scim.AuthenticationScheme(
                type=scim.AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="Authorization: Bearer <the SCIM_TOKEN the server was started with>",
                primary=True,
            )
        ],
        meta=scim.Meta(resource_type="ServiceProviderConfig", location=location),
    )


PROVIDER = scim.ScimProvider(models=[User, Group], policy=POLICY)


def resource_types(*, base_url: str) -> list[scim.ResourceType]:
    """/ResourceTypes: User at /Users and Group at /Groups."""
    published = []
    for resource_type in PROVIDER.resource_types:
        copy = resource_type.model_copy(deep=True)
        copy.meta = scim.Meta(
            resource_type="ResourceType", location=f"{base_url}ResourceTypes/{copy.id}"
        )
        published.append(copy)
    return published


@cache
def _described_schemas() -> tuple[scim.Schema, ...]:
    return (
        *PROVIDER.schemas,
        scim.ServiceProviderConfig.to_schema(),
        scim.ResourceType.to_schema(),
        scim.Schema.to_schema(),
    )


def schemas(*, base_url: str) -> list[scim.Schema]:
    """/Schemas: User and Group as kept here, and the schemas of the discovery resources."""
    published = []
    for schema in _described_schemas():
        copy = schema.model_copy(deep=True)
        copy.meta = scim.Meta(resource_type="Schema", location=f"{base_url}Schemas/{copy.id}")
        published.append(copy)
    return published
