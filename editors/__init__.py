"""Editors: the group, its permissions over every app, and the commands that manage editors."""
