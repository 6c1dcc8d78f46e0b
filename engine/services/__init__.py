"""The service functions the CLI, the API and the web pages call. Each owns its transaction."""
