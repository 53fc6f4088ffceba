"""The analysts' dashboard: pages and feeds that read every app; no models of its own."""
