"""govflow engine: the SpiffWorkflow facade, persistence, services and scheduler (no web code)."""
