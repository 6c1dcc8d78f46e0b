"""One folder per jurisdiction: its units, legal citations, outcomes and declaration rules."""
