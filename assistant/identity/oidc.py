"""Sign-in through the company's OpenID provider (authorization code flow, mozilla-django-oidc).

The provider's endpoints come from its discovery document, fetched on first use, so an operator
configures only the issuer. The ID token is checked in full (signature, issuer, audience, expiry,
nonce): the library alone skips the issuer and the audience. Each sign-in sets the person's groups
from the provider's group claim; anything that does not check out is refused with a message on the
login page and an entry in the identity log, and leaves the account as it was.
"""

from __future__ import annotations

import functools
import hmac
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

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
SIGN_IN_PATH = "oidc_authentication_init"


# --- The provider, by discovery -------------------------------------------------------------


class ProviderUnavailable(Exception):
    """The issuer's discovery document could not be read, or does not describe that issuer."""


@dataclass(frozen=True)
class Provider:
    """The endpoints an issuer's discovery document names."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str


def provider() -> Provider:
    """The configured issuer's endpoints: discovered on first use, then kept for the process."""
    return _discover(settings.OIDC_ISSUER.rstrip("/"))


@functools.cache
def _discover(issuer: str) -> Provider:
    # A failure raises, and functools.cache keeps no result: the next sign-in tries again.
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=_timeout(), verify=_verify_tls())
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"{url}: {error}") from error
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} is not a JSON object")
    # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer it was asked for.
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable(f"{url} names issuer {document.get('issuer')!r}, not {issuer!r}")
    required = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [name for name in required if not isinstance(document.get(name), str)]
    if missing:
        raise ProviderUnavailable(f"{url} lacks {', '.join(missing)}")
    return Provider(
        issuer=str(document["issuer"]),
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=str(document.get("userinfo_endpoint") or ""),
    )


def _timeout() -> float:
    return float(getattr(settings, "OIDC_TIMEOUT", None) or 10)


def _verify_tls() -> bool:
    return bool(getattr(settings, "OIDC_VERIFY_SSL", True))


# --- Refusals -------------------------------------------------------------------------------


REFUSALS: dict[str, str] = {
    "provider unreachable": "the sign-in service could not be reached. Try again in a moment.",
    "provider refused the code": "the sign-in service did not accept this sign-in. Start again.",
    "wrong issuer": (
        "the sign-in came from another identity provider than the one this assistant trusts."
    ),
    "wrong audience": "the sign-in was issued for another application.",
    "wrong nonce": (
        "the sign-in does not belong to the one started in this browser. Start again from here."
    ),
    "expired token": "the sign-in has expired. Start again from here.",
    "bad signature": "the sign-in is not signed by the identity provider.",
    "malformed token": "the identity provider's answer is incomplete or malformed.",
    "userinfo subject mismatch": "the identity provider described two different people.",
    "unknown state": (
        "this sign-in was not started in this browser, or was already used. Start again from here."
    ),
    "email missing": (
        "the identity provider sent no email address for you. Ask your administrator to add one."
    ),
    "email not verified": "your email address is not verified at the identity provider.",
    "subject missing": "the identity provider sent no subject (sub) for you.",
    "email ambiguous": (
        "more than one account here has your email address. Ask your administrator to merge them."
    ),
    "groups claim missing": (
        "the identity provider sent no list of your groups (the “{claim}” claim). "
        "Ask your administrator to add it."
    ),
    "groups claim malformed": (
        "the identity provider's list of your groups (the “{claim}” claim) is not a list of "
        "group names. Ask your administrator to correct it."
    ),
    "account deactivated": (
        "this account has been deactivated. Ask your administrator if you think this is a mistake."
    ),
}


class SignInRefused(Exception):
    """A sign-in that must not go through; `reason` is a key of REFUSALS (logged, never claims)."""

    def __init__(self, reason: str, *, user: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user

    def message(self) -> str:
        """What the person reads on the login page."""
        text = REFUSALS[self.reason].format(claim=settings.OIDC_GROUPS_CLAIM)
        return f"Single sign-on refused: {text}"


def sign_in_refuse(request: HttpRequest, refusal: SignInRefused) -> None:
    """Tell the person why, and log the refusal (its reason, never the token's contents)."""
    logger.warning("single sign-on refused: %s", refusal.reason)
    identity_event_record(
        user=refusal.user,
        kind=IdentityEvent.Kind.REFUSED,
        source=Source.OIDC,
        detail={"reason": refusal.reason},
    )
    messages.error(request, refusal.message())
    # The callback view adds a generic message only when no refusal explained the failure.
    request.oidc_refused = True  # type: ignore[attr-defined]


# --- The backend ----------------------------------------------------------------------------


class DirectoryOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Signs people in with the provider's ID token; their groups follow the group claim."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds a backend on every authenticate() and every request's get_user(): read
        # nothing here, so neither fetches the discovery document nor freezes a setting.
        self.UserModel = get_user_model()

    # The library reads these as attributes; here they follow the settings and discovery.
    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(settings.OIDC_RP_CLIENT_SECRET)

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return str(settings.OIDC_RP_SIGN_ALGO)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return provider().token_endpoint

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        """Finish the authorization code flow the callback view received, or refuse it."""
        # Only the callback view passes a nonce; a password sign-in with ?code= in its address
        # must not reach the token endpoint.
        nonce = kwargs.get("nonce")
        if request is None or not nonce:
            return None
        code, state = request.GET.get("code"), request.GET.get("state")
        if not code or not state:
            return None
        try:
            return self.sign_in(
                request, code=code, nonce=nonce, verifier=kwargs.get("code_verifier")
            )
        except SignInRefused as refusal:
            sign_in_refuse(request, refusal)
            return None

    def sign_in(self, request: HttpRequest, *, code: str, nonce: str, verifier: str | None) -> User:
        """Exchange the code, check the tokens, find or create the account, set its groups."""
        try:
            endpoints = provider()
        except ProviderUnavailable as error:
            logger.error("OpenID provider discovery failed: %s", error)
            raise SignInRefused("provider unreachable") from error
        payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.build_absolute_uri(resolve_url("oidc_authentication_callback")),
        }
        if verifier:
            payload["code_verifier"] = verifier
        try:
            tokens = self.get_token(payload)
        except requests.HTTPError as error:
            raise SignInRefused("provider refused the code") from error
        except requests.RequestException as error:
            raise SignInRefused("provider unreachable") from error
        except ValueError as error:  # not JSON
            raise SignInRefused("malformed token") from error
        if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
            raise SignInRefused("malformed token")
        claims = self.id_token_claims(tokens["id_token"], endpoints=endpoints, nonce=nonce)
        extra = self.userinfo_claims(str(tokens.get("access_token") or ""), endpoints=endpoints)
        if extra and extra.get("sub") != claims["sub"]:
            raise SignInRefused("userinfo subject mismatch")
        # The signed ID token wins where both say something.
        return self.account_sign_in({**extra, **claims})

    # -- Tokens --

    def id_token_claims(self, token: str, *, endpoints: Provider, nonce: str) -> dict[str, Any]:
        """The ID token's claims once signature, issuer, audience, times and nonce check out."""
        claims = self.decode(
            token, endpoints=endpoints, require=["iss", "sub", "aud", "exp", "iat", "nonce"]
        )
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
            claims["nonce"].encode(), nonce.encode()
        ):
            raise SignInRefused("wrong nonce")
        # OpenID Connect Core 3.1.3.7: with several audiences, this client must be the party
        # the token was issued to.
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SignInRefused("wrong audience")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise SignInRefused("malformed token")
        return claims

    def decode(self, token: str, *, endpoints: Provider, require: list[str]) -> dict[str, Any]:
        """Verify a JWT from the provider (signature, issuer, audience, times) and decode it."""
        algorithm = self.OIDC_RP_SIGN_ALGO
        # The same issuer, written with or without its trailing slash.
        issuers = sorted({endpoints.issuer.rstrip("/"), endpoints.issuer.rstrip("/") + "/"})
        try:
            key = self.verification_key(token, algorithm=algorithm, endpoints=endpoints)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=issuers,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": require},
            )
        except jwt.ExpiredSignatureError as error:
            raise SignInRefused("expired token") from error
        except jwt.InvalidIssuerError as error:
            raise SignInRefused("wrong issuer") from error
        except jwt.InvalidAudienceError as error:
            raise SignInRefused("wrong audience") from error
        except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError) as error:
            raise SignInRefused("bad signature") from error
        except jwt.PyJWTError as error:
            raise SignInRefused("malformed token") from error
        return claims

    def verification_key(self, token: str, *, algorithm: str, endpoints: Provider) -> Any:
        """The key that must have signed `token`: the client secret (HS*) or one of the JWKS."""
        if algorithm.startswith("HS"):
            return self.OIDC_RP_CLIENT_SECRET.encode()
        # Fetched on every sign-in, as the library does: a provider's key rotation needs nothing.
        try:
            response = requests.get(endpoints.jwks_uri, timeout=_timeout(), verify=_verify_tls())
            response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (requests.RequestException, ValueError, jwt.PyJWKSetError) as error:
            raise SignInRefused("provider unreachable") from error
        kid = jwt.get_unverified_header(token).get("kid")
        signing = [k for k in key_set.keys if k.public_key_use in (None, "sig")]
        matching = [k for k in signing if k.key_id == kid] if kid else signing
        if len(matching) != 1:
            raise SignInRefused("bad signature")
        # The bare key: the algorithm is the configured one, never one the JWKS suggests.
        return matching[0].key

    def userinfo_claims(self, access_token: str, *, endpoints: Provider) -> dict[str, Any]:
        """The userinfo endpoint's claims (the group claim may be sent only there)."""
        if not access_token or not endpoints.userinfo_endpoint:
            return {}
        try:
            response = requests.get(
                endpoints.userinfo_endpoint,
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=_timeout(),
                verify=_verify_tls(),
            )
            response.raise_for_status()
        except requests.RequestException as error:
            raise SignInRefused("provider unreachable") from error
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            return self.decode(response.text, endpoints=endpoints, require=["sub"])
        try:
            info = response.json()
        except ValueError as error:
            raise SignInRefused("malformed token") from error
        if not isinstance(info, dict):
            raise SignInRefused("malformed token")
        return info

    # -- The account --

    def account_sign_in(self, claims: dict[str, Any]) -> User:
        """Find or create the account of `claims`, set its groups and record the sign-in."""
        by_subject = settings.OIDC_IDENTITY_CLAIM == "sub"
        email = verified_email(claims, required=not by_subject)
        user = self.account_for(claims, email=email, by_subject=by_subject)
        if user is not None and not user.is_active:
            # Reactivation is the directory's decision (SCIM) or staff's, never a sign-in's.
            raise SignInRefused("account deactivated", user=user)
        groups = group_claim(claims, user=user)
        with transaction.atomic():
            if user is None:
                user = self.create_account(claims, email=email, by_subject=by_subject)
            else:
                self.update_account(user, claims, email=email)
            account_groups_set(user=user, names=groups, source=Source.OIDC)
            account_signed_in(user=user, source=Source.OIDC)
        return user

    def account_for(self, claims: dict[str, Any], *, email: str, by_subject: bool) -> User | None:
        """The existing account these claims name, if any."""
        if by_subject:
            account = (
                DirectoryAccount.objects.select_related("user")
                .filter(subject=claims["sub"])
                .first()
            )
            return account.user if account is not None else None
        users = list(self.UserModel.objects.filter(email__iexact=email)[:2])
        if len(users) > 1:
            raise SignInRefused("email ambiguous")
        return users[0] if users else None

    def create_account(self, claims: dict[str, Any], *, email: str, by_subject: bool) -> User:
        """The account of a person's first sign-in."""
        user = self.UserModel.objects.create_user(
            username_for(claims, email=email),
            email=email,
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
        )
        DirectoryAccount.objects.create(
            user=user, source=Source.OIDC, subject=claims["sub"] if by_subject else None
        )
        identity_event_record(user=user, kind=IdentityEvent.Kind.CREATED, source=Source.OIDC)
        return user

    def update_account(self, user: User, claims: dict[str, Any], *, email: str) -> None:
        """Keep the account's name and email as the provider has them."""
        fields = {
            "first_name": str(claims.get("given_name") or user.first_name)[:150],
            "last_name": str(claims.get("family_name") or user.last_name)[:150],
            "email": email or user.email,
        }
        changed = [name for name, value in fields.items() if getattr(user, name) != value]
        if changed:
            for name in changed:
                setattr(user, name, fields[name])
            user.save(update_fields=changed)

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in account of a session; a deactivated one is signed in nowhere."""
        try:
            user = self.UserModel.objects.get(pk=user_id)
        except self.UserModel.DoesNotExist:
            return None
        return user if user.is_active else None


def verified_email(claims: dict[str, Any], *, required: bool) -> str:
    """The person's email address; refused when required and missing, or when unverified."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        if required:
            raise SignInRefused("email missing")
        return ""
    # Some providers send the flag as the string "true".
    if "email_verified" in claims and str(claims["email_verified"]).lower() != "true":
        if required:
            raise SignInRefused("email not verified")
        return ""
    return email.strip()


def group_claim(claims: dict[str, Any], *, user: Any) -> list[str]:
    """The product groups the group claim names (only mapped ones when OIDC_GROUP_MAP is set)."""
    raw = claims.get(settings.OIDC_GROUPS_CLAIM)
    if raw is None:
        raise SignInRefused("groups claim missing", user=user)
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise SignInRefused("groups claim malformed", user=user)
    return directory_group_names(raw)


def username_for(claims: dict[str, Any], *, email: str) -> str:
    """A new, unique username: the email's local part (else preferred_username, else sub)."""
    return unique_username(
        email.partition("@")[0] or str(claims.get("preferred_username") or claims["sub"])
    )


# --- Views ----------------------------------------------------------------------------------


def _require_enabled() -> None:
    if not settings.OIDC_ENABLED:
        raise Http404("Single sign-on is not configured.")


class SignInStartView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Sends the person to the provider's authorization endpoint (state, nonce and PKCE kept)."""

    def __init__(self, **kwargs: Any) -> None:
        # The library's view reads OIDC_OP_AUTHORIZATION_ENDPOINT here; discovery answers instead.
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_enabled()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider().authorization_endpoint
        except ProviderUnavailable as error:
            logger.error("OpenID provider discovery failed: %s", error)
            messages.error(request, f"Single sign-on refused: {REFUSALS['provider unreachable']}")
            return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        response: HttpResponse = super().get(request)
        return response


class SignInCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Where the provider sends the person back; a refusal lands on the login page, explained."""

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_URL)

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_enabled()
        states = request.session.get("oidc_states") or {}
        if "code" in request.GET and request.GET.get("state") not in states:
            # Not a sign-in this browser started (replayed, or begun elsewhere). Anyone can send
            # this, so it is logged but kept out of the identity log.
            logger.warning("single sign-on refused: unknown state")
            messages.error(request, SignInRefused("unknown state").message())
            request.oidc_refused = True  # type: ignore[attr-defined]
            return self.login_failure()
        response: HttpResponse = super().get(request)
        return response

    def login_failure(self) -> HttpResponse:
        if not getattr(self.request, "oidc_refused", False):
            # The provider answered with an error (the person cancelled), or the session expired.
            messages.error(
                self.request, "Single sign-on did not complete. Start again from this page."
            )
        return HttpResponseRedirect(self.failure_url)


# --- The login page -------------------------------------------------------------------------


PASSWORDS_OFF = (
    "Sign-in with a password is turned off here: use “Sign in with single sign-on” instead."
)


class SignInForm(AuthenticationForm):
    """The password form, which refuses every password while LOCAL_PASSWORDS is off."""

    def clean(self) -> dict[str, Any]:
        if not settings.LOCAL_PASSWORDS:
            # Before authenticate(): no password is checked, and no lockout counts it.
            raise ValidationError(PASSWORDS_OFF, code="local_passwords_off")
        cleaned: dict[str, Any] = super().clean()
        return cleaned


class SignInView(LoginView):
    """The login page: single sign-on when configured, passwords while LOCAL_PASSWORDS is on."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["single_sign_on"] = settings.OIDC_ENABLED
        context["saml_sign_on"] = getattr(settings, "SAML_ENABLED", False)
        context["passwords_off"] = not settings.LOCAL_PASSWORDS
        return context
