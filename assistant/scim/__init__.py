"""SCIM 2.0 provisioning at /scim/v2/: Users and Groups from the company directory."""
