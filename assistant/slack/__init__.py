"""Slack: signed webhooks, account linking, answers with the asker's permissions."""
