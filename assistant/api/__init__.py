"""The HTTP API: per-user tokens, OpenAI-compatible chat completions, moderations, documents."""
