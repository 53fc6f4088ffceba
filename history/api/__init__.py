"""The change feed of the REST API (v1)."""
