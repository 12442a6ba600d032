"""Intake's server-rendered pages: the public filing and tracking site (``public*``)."""
