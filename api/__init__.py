"""The API machinery every app shares, and the one router of `/api/v1/` (`api.urls`)."""
