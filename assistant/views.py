"""Pages of the platform: health."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from assistant.health import run_checks


@require_GET
@never_cache
def healthz_live(request: HttpRequest) -> JsonResponse:
    """The process answers requests; nothing else is checked (a liveness probe's question).

    Restarting web cannot fix a database, worker or model that is down, so liveness must not
    depend on them; /healthz (readiness) does.
    """
    return JsonResponse({"status": "ok"})


def healthz(request: HttpRequest) -> JsonResponse:
    """Report each component's status; 200 only when all are ok."""
    components = run_checks()
    healthy = all(value == "ok" for value in components.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "components": components},
        status=200 if healthy else 503,
    )
