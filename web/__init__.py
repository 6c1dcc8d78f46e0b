"""The Flask app (API and pages) and the `govflow` command line."""
