"""Retrieval: documents, access rules, ingestion and hybrid search."""
