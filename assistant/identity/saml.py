"""Sign-in through the company's SAML 2.0 identity provider (djangosaml2 and pysaml2).

An alternative to OpenID Connect for providers that speak only SAML. The operator gives the
provider's metadata (a URL or a file); everything else follows from the settings, so djangosaml2
needs no SAML_CONFIG: `saml_config` builds pysaml2's configuration on demand.

The provider's answer is checked by pysaml2: signed by the key in its metadata (the assertion or
the response as a whole), meant for this service (audience) at this address (destination and
recipient), within its validity window, and an answer to a request this browser started (kept in
djangosaml2's own SAML session cookie, which the provider's cross-site POST still carries). Each
sign-in then sets the person's groups from the groups attribute, as OIDC does from its claim;
anything that does not check out is refused with a message on the login page and an entry in the
identity log, and leaves the account as it was.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import decorator_from_middleware, method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View
from djangosaml2.backends import Saml2Backend
from djangosaml2.cache import OutstandingQueriesCache
from djangosaml2.middleware import SamlSessionMiddleware
from djangosaml2.views import AssertionConsumerServiceView
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse
from saml2.sigver import SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source
from assistant.identity.services import (
    account_groups_set,
    account_signed_in,
    directory_group_names,
    identity_event_record,
    unique_username,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# Clocks of the provider and of this server may disagree by this much.
CLOCK_SKEW_SECONDS = 60
# A provider's metadata given by URL is fetched again after this long (its keys may rotate).
METADATA_REFRESH_SECONDS = 3600
METADATA_TIMEOUT_SECONDS = 10


# --- Configuration --------------------------------------------------------------------------


class ProviderUnavailable(Exception):
    """The provider's metadata could not be read, or does not describe one usable provider."""


def entity_id() -> str:
    """This service's SAML entity id (SAML_ENTITY_ID, else the address of its metadata)."""
    configured: str = settings.SAML_ENTITY_ID.strip()
    return configured or _public_url(reverse("saml_metadata"))


def acs_url() -> str:
    """Where the provider posts its answers (the assertion consumer service)."""
    return _public_url(reverse("saml_acs"))


def _public_url(path: str) -> str:
    # From PUBLIC_BASE_URL, never from the request's Host header: the provider signs this address
    # into each answer, and pysaml2 refuses answers addressed elsewhere.
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def saml_config(request: HttpRequest | None = None) -> SPConfig:
    """pysaml2's configuration with the provider's metadata (a djangosaml2 config loader)."""
    return _config(entity_id(), acs_url(), idp_metadata())


def sp_config() -> SPConfig:
    """pysaml2's configuration of this service alone, enough to describe it in metadata."""
    return _config(entity_id(), acs_url(), None)


@functools.lru_cache(maxsize=8)
def _config(entity: str, acs: str, metadata: str | None) -> SPConfig:
    # Keyed on the metadata's text, so a changed file or a refetched URL is parsed once; a failure
    # raises, and lru_cache keeps no result.
    conf = SPConfig()
    spec: dict[str, Any] = {
        "entityid": entity,
        # Attributes keep the Name (and FriendlyName) the provider sends; see assertion_attributes.
        "allow_unknown_attributes": True,
        "accepted_time_diff": CLOCK_SKEW_SECONDS,
        "service": {
            "sp": {
                "name": "Assistant",
                "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                # Only answers to a request this browser started (no IdP-initiated sign-in).
                "allow_unsolicited": False,
                # Either signature covers the assertion: providers differ in which one they sign
                # by default (ADFS and Entra ID the assertion, Keycloak and Shibboleth the
                # response). pysaml2 refuses an answer that carries neither.
                "want_assertions_or_response_signed": True,
                "want_assertions_signed": False,
                "want_response_signed": False,
                "authn_requests_signed": False,
            }
        },
    }
    if metadata is not None:
        spec["metadata"] = {"inline": [metadata]}
    try:
        conf.load(spec)
    except Exception as error:  # pysaml2 raises many kinds for unreadable metadata
        raise ProviderUnavailable(f"SAML_IDP_METADATA cannot be read: {error}") from error
    if metadata is not None:
        identity_provider(conf)
    return conf


def identity_provider(conf: SPConfig) -> str:
    """The entity id of the one provider the metadata describes."""
    providers = sorted(conf.metadata.identity_providers())
    # Several would all be trusted to sign answers (federation metadata): refuse rather than guess.
    if len(providers) != 1:
        raise ProviderUnavailable(
            f"SAML_IDP_METADATA describes {len(providers)} identity providers; exactly one is needed"
        )
    if not conf.metadata.single_sign_on_service(providers[0], BINDING_HTTP_REDIRECT):
        raise ProviderUnavailable(f"{providers[0]} offers no HTTP-Redirect sign-in service")
    return str(providers[0])


_fetched: dict[str, tuple[float, str]] = {}


def idp_metadata() -> str:
    """The provider's metadata XML: read from the file, or fetched from the URL (kept an hour)."""
    source = settings.SAML_IDP_METADATA.strip()
    if source.startswith(("https://", "http://")):
        return _fetch_metadata(source)
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise ProviderUnavailable(f"SAML_IDP_METADATA {source}: {error}") from error


def _fetch_metadata(url: str) -> str:
    kept = _fetched.get(url)
    if kept is not None and time.monotonic() - kept[0] < METADATA_REFRESH_SECONDS:
        return kept[1]
    try:
        response = requests.get(url, timeout=METADATA_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as error:
        if kept is not None:
            # A provider that is down for a moment does not stop sign-ins with the keys we have.
            logger.warning("SAML metadata refetch failed, keeping the last copy: %s", error)
            return kept[1]
        raise ProviderUnavailable(f"SAML_IDP_METADATA {url}: {error}") from error
    _fetched[url] = (time.monotonic(), response.text)
    return response.text


# --- Refusals -------------------------------------------------------------------------------


REFUSALS: dict[str, str] = {
    "provider unreachable": (
        "the sign-in service could not be reached or is not set up correctly here. "
        "Try again in a moment, or ask your administrator."
    ),
    "provider refused": "the identity provider did not sign you in.",
    "bad signature": "the sign-in is not signed by the identity provider.",
    "wrong audience": "the sign-in was issued for another application.",
    "wrong destination": "the sign-in was sent to another address than this assistant's.",
    "expired assertion": "the sign-in has expired. Start again from here.",
    "not yet valid": (
        "the sign-in is not valid yet: the clocks of the identity provider and of this "
        "assistant disagree. Ask your administrator."
    ),
    "malformed response": "the identity provider's answer is incomplete or malformed.",
    "unknown request": (
        "this sign-in was not started in this browser, or was already used. Start again from here."
    ),
    "email missing": (
        "the identity provider sent no email address for you (the “{email}” attribute). "
        "Ask your administrator to add it."
    ),
    "email ambiguous": (
        "more than one account here has your email address. Ask your administrator to merge them."
    ),
    "groups attribute missing": (
        "the identity provider sent no list of your groups (the “{groups}” attribute). "
        "Ask your administrator to add it."
    ),
    "account deactivated": (
        "this account has been deactivated. Ask your administrator if you think this is a mistake."
    ),
}
# Anyone can post an answer to a request they never made; those stay out of the identity log.
UNRECORDED = {"unknown request"}


class SignInRefused(Exception):
    """A sign-in that must not go through; `reason` is a key of REFUSALS (logged, never values)."""

    def __init__(self, reason: str, *, user: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user

    def message(self) -> str:
        """What the person reads on the login page."""
        text = REFUSALS[self.reason].format(
            email=settings.SAML_EMAIL_ATTRIBUTE, groups=settings.SAML_GROUPS_ATTRIBUTE
        )
        return f"Single sign-on refused: {text}"


def sign_in_refuse(request: HttpRequest, refusal: SignInRefused) -> None:
    """Tell the person why, and log the refusal (its reason, never the answer's contents)."""
    logger.warning("SAML sign-in refused: %s", refusal.reason)
    if refusal.reason not in UNRECORDED:
        identity_event_record(
            user=refusal.user,
            kind=IdentityEvent.Kind.REFUSED,
            source=Source.SAML,
            detail={"reason": refusal.reason},
        )
    messages.error(request, refusal.message())
    request.saml_refused = True  # type: ignore[attr-defined]


def refusal_for(error: Exception) -> SignInRefused:
    """The refusal that explains why pysaml2 rejected an answer."""
    if isinstance(error, UnsolicitedResponse):
        return SignInRefused("unknown request")
    if isinstance(error, SigverError | IncorrectlySigned):
        return SignInRefused("bad signature")
    if isinstance(error, ResponseLifetimeExceed):
        return SignInRefused("expired assertion")
    if isinstance(error, ToEarly):
        return SignInRefused("not yet valid")
    if isinstance(error, StatusError):
        return SignInRefused("provider refused")
    # pysaml2 raises a bare Exception for an audience that is not ours.
    if "AudienceRestrictions" in str(error):
        return SignInRefused("wrong audience")
    return SignInRefused("malformed response")


# --- The backend ----------------------------------------------------------------------------


def assertion_attributes(assertion: Any) -> dict[str, list[str]]:
    """The assertion's attributes by Name and by FriendlyName, as the provider sends them.

    pysaml2 would rename known attributes (urn:oid:0.9.2342.19200300.100.1.3 becomes "mail");
    the operator names an attribute as the provider's own documentation does.
    """
    found: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement:
        for attribute in statement.attribute:
            values = [v.text.strip() for v in attribute.attribute_value if (v.text or "").strip()]
            for name in {attribute.name, attribute.friendly_name} - {None, ""}:
                found.setdefault(name, []).extend(values)
    return found


class DirectorySAMLBackend(Saml2Backend):  # type: ignore[misc]
    """Signs people in with a verified SAML assertion; their groups follow the groups attribute."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        session_info: dict[str, Any] | None = None,
        attributes: dict[str, list[str]] | None = None,
        **kwargs: Any,
    ) -> User | None:
        """The account of an answer pysaml2 has verified, or None (refused, and explained)."""
        # A password sign-in reaches every backend too: only a verified answer gets further.
        if request is None or session_info is None:
            return None
        if attributes is None:
            attributes = session_info.get("ava") or {}
        try:
            return self.account_sign_in(attributes)
        except SignInRefused as refusal:
            sign_in_refuse(request, refusal)
            return None

    def account_sign_in(self, attributes: dict[str, list[str]]) -> User:
        """Find or create the account of `attributes`, set its groups and record the sign-in."""
        email = self.email(attributes)
        user = self.account_for(email)
        if user is not None and not user.is_active:
            # Reactivation is the directory's decision (SCIM) or staff's, never a sign-in's.
            raise SignInRefused("account deactivated", user=user)
        groups = attributes.get(settings.SAML_GROUPS_ATTRIBUTE)
        if groups is None:
            raise SignInRefused("groups attribute missing", user=user)
        with transaction.atomic():
            if user is None:
                user = self.create_account(email)
            account_groups_set(user=user, names=directory_group_names(groups), source=Source.SAML)
            account_signed_in(user=user, source=Source.SAML)
        return user

    def email(self, attributes: dict[str, list[str]]) -> str:
        """The person's email address from the email attribute."""
        for value in attributes.get(settings.SAML_EMAIL_ATTRIBUTE) or []:
            if "@" in value.strip("@"):
                return value
        raise SignInRefused("email missing")

    def account_for(self, email: str) -> User | None:
        """The existing account with this email address, if any."""
        users = list(self._user_model.objects.filter(email__iexact=email)[:2])
        if len(users) > 1:
            raise SignInRefused("email ambiguous")
        return users[0] if users else None

    def create_account(self, email: str) -> User:
        """The account of a person's first sign-in."""
        user: User = self._user_model.objects.create_user(
            unique_username(email.partition("@")[0]), email=email
        )
        DirectoryAccount.objects.create(user=user, source=Source.SAML)
        identity_event_record(user=user, kind=IdentityEvent.Kind.CREATED, source=Source.SAML)
        return user


# --- Views ----------------------------------------------------------------------------------


def require_enabled() -> None:
    """Every SAML route is missing while SAML_IDP_METADATA is unset."""
    if not settings.SAML_ENABLED:
        raise Http404("SAML sign-in is not configured.")


class SamlSessionCookie(SamlSessionMiddleware):  # type: ignore[misc]
    """djangosaml2's SAML session, on the SAML routes only.

    The provider answers with a cross-site POST, which carries no SameSite=Lax cookie (Django's
    session cookie), so the request the answer belongs to is kept in a cookie of its own. Browsers
    accept SameSite=None only on a Secure cookie; over plain HTTP (development) it is Lax, which
    still works with a provider on the same site.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response = super().process_response(request, response)
        cookie = response.cookies.get(self.cookie_name)
        if cookie is not None and cookie.value:
            if request.is_secure():
                cookie["secure"] = True
                cookie["samesite"] = "None"
            else:
                cookie["samesite"] = "Lax"
        return response


saml_session = decorator_from_middleware(SamlSessionCookie)


def _to_login_page() -> HttpResponseRedirect:
    return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))


@method_decorator(saml_session, name="dispatch")
class SignInStartView(View):
    """Sends the person to the provider with an AuthnRequest (HTTP-Redirect binding)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        require_enabled()
        try:
            conf = saml_config(request)
        except ProviderUnavailable as error:
            logger.error("SAML sign-in unavailable: %s", error)
            messages.error(request, SignInRefused("provider unreachable").message())
            return _to_login_page()
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = resolve_url(settings.LOGIN_REDIRECT_URL)
        session_id, http_info = Saml2Client(conf).prepare_for_authenticate(
            entityid=identity_provider(conf), relay_state=next_url, binding=BINDING_HTTP_REDIRECT
        )
        # The answer must name this request (InResponseTo), in this browser.
        queries = OutstandingQueriesCache(request.saml_session)  # type: ignore[attr-defined]
        queries.set(session_id, next_url)
        return HttpResponseRedirect(dict(http_info["headers"])["Location"])


@method_decorator([csrf_exempt, saml_session], name="dispatch")
class AssertionConsumerView(AssertionConsumerServiceView):  # type: ignore[misc]
    """Where the provider posts its answer; a refusal lands on the login page, explained."""

    # The verified assertion's attributes, set by custom_validation (one view instance a request).
    attributes: dict[str, list[str]] | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_enabled()
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    def get_sp_config(self, request: HttpRequest) -> SPConfig:
        return saml_config(request)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        destination = response_destination(request.POST.get("SAMLResponse", ""))
        # pysaml2 checks this too, but reports it only as "no response".
        if destination and destination != acs_url():
            sign_in_refuse(request, SignInRefused("wrong destination"))
            return _to_login_page()
        try:
            response: HttpResponse = super().post(request, *args, **kwargs)
        except ProviderUnavailable as error:
            logger.error("SAML sign-in unavailable: %s", error)
            sign_in_refuse(request, SignInRefused("provider unreachable"))
            return _to_login_page()
        return response

    def custom_validation(self, response: Any) -> None:
        self.attributes = assertion_attributes(response.assertion)

    def authenticate_user(
        self,
        request: HttpRequest,
        session_info: dict[str, Any],
        attribute_mapping: Any,
        create_unknown_user: Any,
        assertion_info: Any,
    ) -> User:
        """Sign the person in as djangosaml2 does, with the attributes as the provider named them.

        djangosaml2's own logs the whole session info (email, groups) at WARNING on a refusal.
        """
        user = auth.authenticate(request, session_info=session_info, attributes=self.attributes)
        if user is None:
            raise PermissionDenied("SAML sign-in refused")
        auth.login(request, user)
        return user

    def handle_acs_failure(
        self,
        request: HttpRequest,
        exception: Exception | None = None,
        status: int = 403,
        **kwargs: Any,
    ) -> HttpResponse:
        if not getattr(request, "saml_refused", False):
            # pysaml2 rejected the answer; the backend explains its own refusals.
            sign_in_refuse(request, refusal_for(exception or Exception()))
        return _to_login_page()


def response_destination(encoded: str) -> str | None:
    """The Destination an (unverified) posted answer names, if it can be read."""
    try:
        message = samlp.response_from_string(base64.b64decode(encoded))
    except (binascii.Error, ValueError, SyntaxError, TypeError):
        return None
    destination = getattr(message, "destination", None)
    return str(destination) if destination else None


class MetadataView(View):
    """This service's SAML metadata, for the provider's administrator to import."""

    def get(self, request: HttpRequest) -> HttpResponse:
        require_enabled()
        document = str(entity_descriptor(sp_config()))
        return HttpResponse(document.encode(), content_type="text/xml; charset=utf-8")
