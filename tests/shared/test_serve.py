"""``serve``, what every entry point runs: uvicorn with its access log on only where the log level writes its lines."""

from __future__ import annotations

import pytest

from shared import http
from shared.settings import CommonSettings


@pytest.mark.parametrize(("level", "access_log"), [("DEBUG", True), ("INFO", True), ("WARNING", False), ("error", False)])
def test_the_access_log_is_on_only_where_its_lines_are_written(monkeypatch, level, access_log):
    served: dict = {}
    monkeypatch.setattr(http.uvicorn, "run", lambda app, **options: served.update(options, app=app))
    http.serve(CommonSettings(log_level=level), lambda: "the app", "127.0.0.1", 8000)
    assert served == {"app": "the app", "host": "127.0.0.1", "port": 8000, "log_level": level.lower(),
                      "access_log": access_log}
