"""A real SAML identity provider in this process (pysaml2's own IdP), and the sign-in walked by hand.

The provider has a self-signed key made for the run; its metadata file is SAML_IDP_METADATA. It
imports our metadata from /saml/metadata/, reads the AuthnRequest our /saml/login/ redirects to it,
and answers with a response signed by xmlsec1, as a real provider does; the test's browser (Django's
test client) posts that answer to /saml/acs/. A test changes the answer through the provider's own
options (what it signs, with which key, for which audience, address and validity window), or
edits the signed XML afterwards.
"""

from __future__ import annotations

import base64
import datetime
import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

IDP_ENTITY_ID = "https://idp.example.test/saml/metadata"
IDP_SSO_URL = "https://idp.example.test/saml/sso"
BACKEND = "assistant.identity.saml.DirectorySAMLBackend"
PASSWORD_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


@dataclass(frozen=True)
class KeyPair:
    """A private key and its self-signed certificate, as PEM files."""

    key_file: Path
    cert_file: Path


def make_key_pair(folder: Path, name: str) -> KeyPair:
    """A fresh RSA key and a self-signed certificate for it, valid from yesterday for a year."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    pair = KeyPair(folder / f"{name}.key", folder / f"{name}.crt")
    pair.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pair.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pair


def idp_spec(keys: KeyPair, sp_metadata: str | None = None) -> dict[str, Any]:
    """pysaml2's configuration of the provider, signing with `keys`."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.saml import NAMEID_FORMAT_PERSISTENT

    spec: dict[str, Any] = {
        "entityid": IDP_ENTITY_ID,
        "key_file": str(keys.key_file),
        "cert_file": str(keys.cert_file),
        "service": {
            "idp": {
                "endpoints": {"single_sign_on_service": [(IDP_SSO_URL, BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            }
        },
    }
    if sp_metadata is not None:
        spec["metadata"] = {"inline": [sp_metadata]}
    return spec


@pytest.fixture(scope="session")
def idp_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyPair]:
    """The provider's key, and an impostor's key that no metadata names."""
    folder = tmp_path_factory.mktemp("saml-keys")
    return {name: make_key_pair(folder, name) for name in ("idp", "impostor")}


@pytest.fixture(scope="session")
def idp_metadata_file(
    idp_keys: dict[str, KeyPair], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The provider's metadata (entity id, sign-in address, signing certificate) as a file."""
    from saml2.config import IdPConfig
    from saml2.metadata import entity_descriptor

    conf = IdPConfig()
    conf.load(idp_spec(idp_keys["idp"]))
    path = tmp_path_factory.mktemp("saml-idp") / "idp-metadata.xml"
    path.write_text(str(entity_descriptor(conf)), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def saml_settings(settings: Any, idp_metadata_file: Path) -> None:
    """SAML on, with the provider's metadata file; settings.py adds the backend the same way."""
    settings.SAML_IDP_METADATA = str(idp_metadata_file)
    settings.SAML_ENABLED = True
    settings.SAML_ENTITY_ID = ""
    settings.SAML_EMAIL_ATTRIBUTE = "email"
    settings.SAML_GROUPS_ATTRIBUTE = "groups"
    settings.OIDC_GROUP_MAP = {}
    settings.PUBLIC_BASE_URL = "http://testserver"
    if BACKEND not in settings.AUTHENTICATION_BACKENDS:
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]


class Terms:
    """What the provider writes into an assertion's conditions, where a test changes it.

    Built as a pysaml2 release policy; `audience` replaces the service the answer is meant for,
    and `valid_hours` (from, until; relative to now) replaces its validity window.
    """

    def __init__(
        self, *, audience: str | None = None, valid_hours: tuple[int, int] | None = None
    ) -> None:
        self.audience = audience
        self.valid_hours = valid_hours

    def policy(self, metadata: Any) -> Any:
        """The release policy that writes these terms."""
        from saml2.assertion import Policy
        from saml2.time_util import in_a_while

        terms = self

        class TermsPolicy(Policy):  # type: ignore[misc]
            def not_on_or_after(self, sp_entity_id: str) -> str:
                if terms.valid_hours is None:
                    return str(super().not_on_or_after(sp_entity_id))
                return str(in_a_while(hours=terms.valid_hours[1]))

            def conditions(self, sp_entity_id: str) -> Any:
                conditions = super().conditions(terms.audience or sp_entity_id)
                if terms.valid_hours is not None:
                    conditions.not_before = in_a_while(hours=terms.valid_hours[0])
                return conditions

        return TermsPolicy(mds=metadata)


@dataclass
class Request:
    """An AuthnRequest the provider received, and the RelayState that came with it."""

    id: str
    relay_state: str


class IdentityProvider:
    """The provider: reads our AuthnRequests, answers them for a person."""

    def __init__(self, keys: dict[str, KeyPair], sp_metadata: str) -> None:
        self.keys = keys
        self.sp_metadata = sp_metadata

    def server(self, signer: str = "idp") -> Any:
        """pysaml2's IdP, signing with the key named `signer` (same entity id either way)."""
        from saml2.config import IdPConfig
        from saml2.server import Server

        conf = IdPConfig()
        conf.load(idp_spec(self.keys[signer], self.sp_metadata))
        return Server(config=conf)

    def receive(self, location: str) -> Request:
        """The AuthnRequest in a redirect to the provider's sign-in address."""
        from saml2 import BINDING_HTTP_REDIRECT

        assert location.startswith(f"{IDP_SSO_URL}?"), location
        query = parse_qs(urlsplit(location).query)
        parsed = self.server().parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        return Request(id=parsed.message.id, relay_state=query.get("RelayState", [""])[0])

    def answer(
        self,
        request: Request,
        *,
        email: str | None,
        groups: list[str] | None,
        attributes: dict[str, list[str]] | None = None,
        sign_assertion: bool = True,
        sign_response: bool = False,
        signer: str = "idp",
        terms: Terms | None = None,
        destination: str = "http://testserver/saml/acs/",
    ) -> str:
        """The provider's Response XML for the person (None: attribute not sent).

        `attributes` replaces the email and groups attributes, named as pysaml2's IdP names
        them: known names (mail) go out under their URN, with the FriendlyName.
        """
        from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
        from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

        server = self.server(signer)
        identity = attributes or {
            name: values
            for name, values in (("email", [email] if email else None), ("groups", groups))
            if values is not None
        }
        options: dict[str, Any] = {}
        if terms is not None:
            options["release_policy"] = terms.policy(server.metadata)
        response = server.create_authn_response(
            identity,
            in_response_to=request.id,
            destination=destination,
            sp_entity_id="http://testserver/saml/metadata/",
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=f"person-{email}"),
            authn={"class_ref": PASSWORD_CONTEXT},
            sign_assertion=sign_assertion,
            sign_response=sign_response,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            **options,
        )
        return str(response)


@pytest.fixture
def idp(idp_keys: dict[str, KeyPair], saml_settings: None, db: None) -> IdentityProvider:
    """The provider, having imported our metadata from /saml/metadata/."""
    from django.test import Client

    metadata = Client().get("/saml/metadata/")
    assert metadata.status_code == 200, metadata.content
    return IdentityProvider(idp_keys, metadata.content.decode())


def start_sign_in(client: Any, idp: IdentityProvider, *, next_url: str = "") -> Request:
    """Open /saml/login/ and follow its redirect to the provider, which reads the request."""
    start = client.get("/saml/login/", {"next": next_url} if next_url else {})
    assert start.status_code == 302, start.content
    return idp.receive(start["Location"])


def post_answer(client: Any, response_xml: str, request: Request) -> Any:
    """Post the provider's answer to our ACS, as the provider's page makes the browser do.

    Returns our last response, redirects followed (the chat when signed in, else the login page).
    """
    encoded = base64.b64encode(response_xml.encode()).decode()
    return client.post(
        "/saml/acs/", {"SAMLResponse": encoded, "RelayState": request.relay_state}, follow=True
    )


def sign_in_through_idp(
    client: Any,
    idp: IdentityProvider,
    *,
    email: str | None,
    groups: list[str] | None,
    edit: Callable[[str], str] | None = None,
    **answer: Any,
) -> Any:
    """The whole round trip for one person; `edit` changes the signed XML before it is posted."""
    request = start_sign_in(client, idp)
    xml = idp.answer(request, email=email, groups=groups, **answer)
    return post_answer(client, edit(xml) if edit else xml, request)


def signed_in_user(page: Any) -> Any:
    """The account the page's session is signed in as (fresh from the database), or None."""
    from django.contrib.auth import get_user_model

    user = page.context["user"] if page.context else None
    if user is None or not user.is_authenticated:
        return None
    return get_user_model().objects.get(pk=user.pk)


def group_names(user: Any) -> set[str]:
    """The names of the account's groups, read from the database."""
    return set(user.groups.values_list("name", flat=True))


def shown(page: Any) -> str:
    """The page as the person reads it (HTML entities decoded), messages included."""
    return html.unescape(page.content.decode())
