"""People and groups from the company's directory: OIDC sign-in, SCIM provisioning, their log."""
