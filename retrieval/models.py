"""Models of retrieval."""
