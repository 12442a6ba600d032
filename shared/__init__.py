"""Code the three services share: settings, event schemas, the bus, persistence helpers, catalog and calendar."""
