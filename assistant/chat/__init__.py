"""The browser chat: conversations, streamed answers, sources, feedback; staff audit pages."""
