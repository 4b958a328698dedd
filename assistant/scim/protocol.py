"""The HTTP side of SCIM: authentication, JSON in and out, and errors turned into SCIM Errors.

Every endpoint is wrapped by `scim_endpoint`, the one boundary where a refusal (a bad token, a
malformed body, a schema violation, a missing resource, a taken name) becomes the SCIM Error
JSON of RFC 7644 §3.12 with its status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

import scim2_models as scim
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError

from assistant.scim import resources
from assistant.scim.auth import scim_enabled, scim_token_valid

CONTENT_TYPE = "application/scim+json"

View = Callable[..., HttpResponse]


def scim_response(
    payload: dict[str, Any] | None, *, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A SCIM JSON response (no body for 204)."""
    if payload is None:
        return HttpResponse(status=status, headers=headers)
    return HttpResponse(
        json.dumps(payload), status=status, content_type=CONTENT_TYPE, headers=headers
    )


def error_response(error: scim.Error, *, headers: dict[str, str] | None = None) -> HttpResponse:
    """A SCIM Error (RFC 7644 §3.12) with its status."""
    return scim_response(error.model_dump(), status=int(error.status or 400), headers=headers)


def request_json(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object; anything else is `invalidSyntax`."""
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise scim.InvalidSyntaxException(detail="The request body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise scim.InvalidSyntaxException(detail="The request body is not a JSON object")
    return payload


def base_url(request: HttpRequest) -> str:
    """The absolute URL of the SCIM root, ending with a slash (resource locations start here)."""
    return request.build_absolute_uri(reverse("scim:root"))


def _validation_error(exc: ValidationError) -> scim.Error:
    # Several problems may be found; the first one is reported, as a SCIM Error holds one detail.
    errors = scim.Error.from_validation_errors(exc)
    return errors[0] if errors else scim.Error(status=400, scim_type="invalidValue")


def scim_endpoint(*methods: str) -> Callable[[View], View]:
    """Guard a SCIM view: SCIM on, the SCIM token, the allowed methods, errors as SCIM Errors."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not scim_enabled():
                return error_response(
                    scim.Error(status=404, detail="SCIM provisioning is not enabled.")
                )
            if not scim_token_valid(request):
                return error_response(
                    scim.Error(status=401, detail="A valid SCIM bearer token is required."),
                    headers={"WWW-Authenticate": 'Bearer realm="SCIM"'},
                )
            if request.method not in methods:
                return error_response(
                    scim.Error(status=405, detail=f"{request.method} is not allowed here."),
                    headers={"Allow": ", ".join(methods)},
                )
            try:
                with resources.POLICY:
                    return view(request, *args, **kwargs)
            except ValidationError as exc:
                return error_response(_validation_error(exc))
            except scim.SCIMException as exc:
                return error_response(exc.to_error())

        return wrapper

    return decorate
