"""The citizen side: submit, track and rate a complaint (docs/portal.md)."""
