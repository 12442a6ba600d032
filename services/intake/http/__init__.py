"""Intake's HTTP endpoints (the JSON API), one module per area; the pages are in ``pages/``."""
