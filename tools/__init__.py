"""Authoring tools for govflow (not part of the runtime engine)."""
