"""Errors in the OpenAI shape, `{"error": {"message", "type", "param", "code"}}`, for every endpoint.

The official clients read this shape to raise their typed exceptions, so the same body is used for
the documents endpoints too: one error format for the whole API.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

# What each HTTP status is called in the `type` and `code` fields.
KINDS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "bad_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", "forbidden"),
    404: ("invalid_request_error", "not_found"),
    409: ("invalid_request_error", "conflict"),
    413: ("invalid_request_error", "too_large"),
    429: ("rate_limit_error", "rate_limited"),
}


def error_body(
    message: str, status: int, *, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """The JSON body of an error response."""
    kind, default_code = KINDS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", "error")
    )
    return {
        "error": {"message": message, "type": kind, "param": param, "code": code or default_code}
    }


def error_response(
    message: str, status: int, *, code: str | None = None, param: str | None = None
) -> JsonResponse:
    """An error response in the OpenAI shape."""
    response = JsonResponse(error_body(message, status, code=code, param=param), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


class ApiError(Exception):
    """Raised by endpoints to answer with an error of a given status."""

    def __init__(
        self, message: str, status: int = 400, *, code: str | None = None, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.code, self.param = message, status, code, param


def _validation_message(errors: list[dict[str, Any]]) -> tuple[str, str | None]:
    first = errors[0] if errors else {}
    # ninja prefixes locations with where the value came from ("body", "payload"...); clients know fields.
    location = [str(part) for part in first.get("loc", ())][2:] or [
        str(p) for p in first.get("loc", ())
    ]
    param = ".".join(location) or None
    message = first.get("msg", "Invalid request")
    return (f"{param}: {message}" if param else message), param


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every error of `api` answer in the OpenAI shape."""

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(exc.message, exc.status, code=exc.code, param=exc.param)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response("Missing, invalid or revoked API token.", 401)

    @api.exception_handler(AuthorizationError)
    def forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error_response(str(exc) or "Forbidden.", 403)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(str(exc), exc.status_code)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        message, param = _validation_message(list(exc.errors))
        return error_response(message, 400, code="invalid_value", param=param)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # One message for missing and forbidden alike.
        return error_response("Not found.", 404)
