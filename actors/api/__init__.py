"""The REST API (v1) of actors, their positions and events."""
