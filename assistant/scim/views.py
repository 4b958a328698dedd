"""SCIM 2.0 endpoints (RFC 7644): discovery, /Users and /Groups.

Each view parses the request with scim2-models, calls one service or selector, and answers with
the resource as this service publishes it. Refusals are raised as SCIM exceptions and answered by
`scim_endpoint`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import scim2_models as scim
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from scim2_models import Context, Path, Resource

from assistant.scim import resources, selectors, services
from assistant.scim.filters import group_filter_q, user_filter_q
from assistant.scim.protocol import base_url, request_json, scim_endpoint, scim_response

GET, POST, PUT, PATCH, DELETE = "GET", "POST", "PUT", "PATCH", "DELETE"


def _of(generic: Any, model: type[Any]) -> Any:
    """A scim2-models generic (PatchOp, ListResponse...) for a model known only at run time."""
    return generic[model]


def _query_parameters(request: HttpRequest, *names: str) -> dict[str, str]:
    return {name: request.GET[name] for name in names if name in request.GET}


def _response_parameters(request: HttpRequest, model: type[Any]) -> scim.ResponseParameters[Any]:
    """`attributes` / `excludedAttributes` of the query string (RFC 7644 §3.9)."""
    return _of(scim.ResponseParameters, model).model_validate(
        _query_parameters(request, "attributes", "excludedAttributes")
    )


def _dump(resource: Any, context: Context, parameters: scim.ResponseParameters[Any]) -> Any:
    return resource.model_dump(scim_ctx=context, response_parameters=parameters)


def _patch_request(payload: dict[str, Any], model: type[Any], kept: frozenset[str]) -> Any:
    """A PatchOp, less the operations on attributes this service does not keep.

    Returns None when no operation is left (the request changes nothing that is kept).
    """
    operations = payload.get("Operations")
    if isinstance(operations, list):
        remaining = []
        for operation in operations:
            path = operation.get("path") if isinstance(operation, dict) else None
            binding = None
            if isinstance(path, str):
                try:
                    binding = _of(Path, model)(path).resolve()
                except scim.SCIMException:
                    binding = None  # left for PatchOp to refuse with its own error
            if binding is not None and (
                binding.model is not model or binding.field_name not in kept
            ):
                continue
            remaining.append(operation)
        if operations and not remaining:
            return None
        payload = {**payload, "Operations": remaining}
    return _of(scim.PatchOp, model).model_validate(payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST)


def _list(
    request: HttpRequest,
    *,
    model: type[Any],
    payload: dict[str, Any],
    queryset: QuerySet[Any],
    condition: Callable[[Any], Q],
    represent: Callable[[Any], Any],
) -> HttpResponse:
    """One page of a query (RFC 7644 §3.4.2), from the query string or a /.search body."""
    search = _of(scim.SearchRequest, model).model_validate(payload, scim_ctx=Context.SEARCH_REQUEST)
    if search.filter is not None:
        queryset = queryset.filter(condition(search.filter.ast))
    total = queryset.count()
    start = search.start_index or 1
    count = min(
        resources.MAX_RESULTS if search.count is None else search.count, resources.MAX_RESULTS
    )
    page = list(queryset[start - 1 : start - 1 + count]) if count else []
    answer = _of(scim.ListResponse, model)(
        total_results=total,
        start_index=start,
        items_per_page=len(page),
        resources=[represent(item) for item in page],
    )
    parameters = _of(scim.ResponseParameters, model)(
        attributes=search.attributes, excluded_attributes=search.excluded_attributes
    )
    return scim_response(_dump(answer, Context.SEARCH_RESPONSE, parameters))


_LIST_PARAMETERS = ("filter", "startIndex", "count", "attributes", "excludedAttributes")


# --- Discovery -------------------------------------------------------------------------------


@scim_endpoint(GET)
def service_provider_config(request: HttpRequest) -> HttpResponse:
    """/ServiceProviderConfig: what this service supports."""
    config = resources.service_provider_config(location=f"{base_url(request)}ServiceProviderConfig")
    return scim_response(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _discovery(items: list[Any], model: type[Any], key: str | None) -> HttpResponse:
    if key is not None:
        found = next((item for item in items if str(item.id).lower() == key.lower()), None)
        if found is None:
            raise scim.NotFoundException(detail=f"No {model.__name__} has id {key!r}")
        return scim_response(found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    answer = _of(scim.ListResponse, model)(
        total_results=len(items), start_index=1, items_per_page=len(items), resources=items
    )
    return scim_response(answer.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@scim_endpoint(GET)
def resource_types(request: HttpRequest, resource_id: str | None = None) -> HttpResponse:
    """/ResourceTypes and /ResourceTypes/{id}."""
    items = resources.resource_types(base_url=base_url(request))
    return _discovery(items, scim.ResourceType, resource_id)


@scim_endpoint(GET)
def schemas(request: HttpRequest, resource_id: str | None = None) -> HttpResponse:
    """/Schemas and /Schemas/{id}."""
    items = resources.schemas(base_url=base_url(request))
    return _discovery(items, scim.Schema, resource_id)


# --- Users and Groups ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceKind:
    """A kind of resource this service provisions (User, Group), and what its endpoints call.

    The callables take keyword arguments as the selectors and services name them.
    """

    endpoint: str  # "Users": the path segment under /scim/v2/
    model: type[Resource[Any]]  # as published
    input_model: type[Resource[Any]]  # as requests are read
    # Core attributes the product keeps. A PATCH operation on another attribute of the core or
    # enterprise schema (Entra ID sends `manager`, `title`, `phoneNumbers`... by default) is
    # accepted and ignored whatever the shape of its value; one on an attribute no schema
    # declares is still refused.
    kept: frozenset[str]
    queryset: Callable[[], QuerySet[Any]]
    filter_q: Callable[[Any], Q]
    get: Callable[..., Any]  # (*, resource_id) -> row
    resource: Callable[..., Any]  # (row, *, base_url) -> model
    create: Callable[..., Any]  # (*, resource) -> row
    replace: Callable[..., Any]  # (*, resource_id, resource) -> row
    patch: Callable[..., Any]  # (*, resource_id, patch) -> row
    delete: Callable[..., None]  # (*, resource_id)


USERS = ResourceKind(
    endpoint="Users",
    model=resources.User,
    input_model=resources.InputUser,
    kept=frozenset(
        {"user_name", "name", "active", "emails", "groups", "external_id", "id", "meta"}
    ),
    queryset=selectors.users,
    filter_q=user_filter_q,
    get=selectors.user_get,
    resource=selectors.user_resource,
    create=services.scim_user_create,
    replace=services.scim_user_replace,
    patch=services.scim_user_patch,
    delete=services.scim_user_delete,
)

GROUPS = ResourceKind(
    endpoint="Groups",
    model=resources.Group,
    input_model=resources.InputGroup,
    kept=frozenset({"display_name", "members", "external_id", "id", "meta"}),
    queryset=selectors.groups,
    filter_q=group_filter_q,
    get=selectors.group_get,
    resource=selectors.group_resource,
    create=services.scim_group_create,
    replace=services.scim_group_replace,
    patch=services.scim_group_patch,
    delete=services.scim_group_delete,
)


def _answer(
    request: HttpRequest, kind: ResourceKind, row: Any, context: Context, status: int = 200
) -> HttpResponse:
    """One resource as published, read again so the answer shows what was written."""
    resource = kind.resource(kind.get(resource_id=str(row.pk)), base_url=base_url(request))
    parameters = _response_parameters(request, kind.model)
    headers = {"Location": str(resource.meta.location)} if status == 201 and resource.meta else None
    return scim_response(_dump(resource, context, parameters), status=status, headers=headers)


def _kind_list(request: HttpRequest, kind: ResourceKind, payload: dict[str, Any]) -> HttpResponse:
    root = base_url(request)
    return _list(
        request,
        model=kind.model,
        payload=payload,
        queryset=kind.queryset(),
        condition=kind.filter_q,
        represent=lambda row: kind.resource(row, base_url=root),
    )


@scim_endpoint(GET, POST)
def collection(request: HttpRequest, kind: ResourceKind) -> HttpResponse:
    """GET /Users or /Groups: query them; POST: create one."""
    if request.method == GET:
        return _kind_list(request, kind, _query_parameters(request, *_LIST_PARAMETERS))
    resource = kind.input_model.model_validate(
        request_json(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST
    )
    row = kind.create(resource=resource)
    return _answer(request, kind, row, Context.RESOURCE_CREATION_RESPONSE, status=201)


@scim_endpoint(POST)
def search(request: HttpRequest, kind: ResourceKind) -> HttpResponse:
    """POST /Users/.search or /Groups/.search: a query in the body (RFC 7644 §3.4.3)."""
    return _kind_list(request, kind, request_json(request))


@scim_endpoint(GET, PUT, PATCH, DELETE)
def item(request: HttpRequest, kind: ResourceKind, resource_id: str) -> HttpResponse:
    """One account or directory group: read, replace, patch or delete it."""
    if request.method == GET:
        found = kind.get(resource_id=resource_id)
        return _answer(request, kind, found, Context.RESOURCE_QUERY_RESPONSE)
    if request.method == DELETE:
        kind.delete(resource_id=resource_id)
        return scim_response(None, status=204)
    if request.method == PUT:
        resource = kind.input_model.model_validate(
            request_json(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        changed = kind.replace(resource_id=resource_id, resource=resource)
        return _answer(request, kind, changed, Context.RESOURCE_REPLACEMENT_RESPONSE)
    patch = _patch_request(request_json(request), kind.input_model, kind.kept)
    if patch is None:
        found = kind.get(resource_id=resource_id)
        return _answer(request, kind, found, Context.RESOURCE_PATCH_RESPONSE)
    changed = kind.patch(resource_id=resource_id, patch=patch)
    return _answer(request, kind, changed, Context.RESOURCE_PATCH_RESPONSE)


# --- The rest of the protocol ----------------------------------------------------------------


@scim_endpoint(GET, POST, PUT, PATCH, DELETE)
def not_implemented(request: HttpRequest) -> HttpResponse:
    """/Me, /Bulk and the root /.search: not offered (RFC 7644 §3.12 answers 501)."""
    raise scim.NotImplementedException(detail="This service does not offer this endpoint")


@scim_endpoint(GET, POST, PUT, PATCH, DELETE)
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other URL under /scim/v2/."""
    raise scim.NotFoundException(detail="No such SCIM endpoint")
