"""Reads behind the dashboard pages, one module per page family; each runs a fixed number of queries."""
