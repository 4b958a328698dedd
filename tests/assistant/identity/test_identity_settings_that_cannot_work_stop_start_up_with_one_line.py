"""Single sign-on and provisioning settings are checked at start-up, one line per mistake."""

from __future__ import annotations

import pytest

from tests.assistant.test_configuration import PRODUCTION, run_manage

SSO = {
    "OIDC_ISSUER": "https://sso.example.com/realms/acme",
    "OIDC_CLIENT_ID": "assistant",
    "OIDC_CLIENT_SECRET": "s3cret-from-the-provider",
}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"OIDC_ISSUER": SSO["OIDC_ISSUER"]},
            "OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET",
        ),
        ({**SSO, "OIDC_GROUP_MAP": "Acme-HR"}, "OIDC_GROUP_MAP entry 'Acme-HR' must be"),
        ({**SSO, "OIDC_IDENTITY_CLAIM": "upn"}, "OIDC_IDENTITY_CLAIM='upn' must be email or sub"),
        ({"ASSISTANT_LOCAL_PASSWORDS": "0"}, "ASSISTANT_LOCAL_PASSWORDS=0 needs OIDC_ISSUER"),
        ({**SSO, "OIDC_ISSUER": "ftp://sso.example.com"}, "OIDC_ISSUER"),
        ({"SCIM_TOKEN": "short"}, "SCIM_TOKEN must be at least 32 characters"),
    ],
)
def test_a_setting_that_cannot_work_names_itself(env, message):
    result = run_manage("check", **{**PRODUCTION, **env})

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_production_with_sso_passes_the_deploy_check():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, **SSO, SCIM_TOKEN="t" * 40
    )

    assert result.returncode == 0, result.stderr
