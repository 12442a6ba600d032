"""Open311 GeoReport v2 on intake (``/open311/v2/``): partner systems list the service types, read their definitions,
file complaints with an API key and follow what they filed — the product's own filing path, lifecycle and clocks,
mapped onto the standard's fields (README, "Open311 GeoReport v2").

- ``catalog``: the service types (``shared/data/open311_services.json``), their attributes, the time limits;
- ``formats``: JSON and XML answers (ElementTree) and the standard's error list;
- ``submission``: a POSTed form as the complaint ``POST /v1/complaints`` takes, errors named by Open311 field;
- ``listing``: complaints as service requests, and the filters of ``GET requests``;
- ``api``: the routes.
"""
