"""The REST API (v1) of plans, versions, points, territories and sources, and the
building blocks every API resource shares (pagination, filters, CSV, ETags, errors)."""
