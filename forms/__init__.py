"""JSON Schema forms (one folder per jurisdiction, `common/` for shared ones) and their validation."""
