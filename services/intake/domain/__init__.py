"""Intake's pure rules: the lifecycle, who may see and do what, duplicates, the router's reasons as shown."""
