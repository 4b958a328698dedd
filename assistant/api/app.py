"""The API: one NinjaAPI for the OpenAI-compatible endpoints (/v1/) and the product's own (/api/)."""

from __future__ import annotations

from ninja import NinjaAPI

from assistant.api import chat, conversations, current_token, documents, moderations
from assistant.api.errors import install_error_handlers

api = NinjaAPI(
    title="Assistant API",
    version="1",
    description=(
        "OpenAI-compatible chat completions answered from your organisation's documents (with "
        "citations in an extra `citations` field), moderation, and document management. "
        "Authenticate with `Authorization: Bearer <token>`; create tokens at /settings/tokens/. "
        "A token has the scope `chat` (the /v1 endpoints and reading the documents list), "
        "`documents` (managing /api/documents; staff only) or both, and may expire; "
        "GET /api/tokens/current tells which."
    ),
    urls_namespace="api",
    openapi_url="/api/openapi.json",
    docs_url="/api/docs",
)
install_error_handlers(api)
api.add_router("/v1/", chat.router)
api.add_router("/v1/", moderations.router)
api.add_router("/api/documents", documents.router)
api.add_router("/api/conversations", conversations.router)
api.add_router("/api/tokens", current_token.router)
