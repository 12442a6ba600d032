"""The dashboard's period export: the figures table the page shows, as CSV (UTF-8 with BOM) and as a workbook that
parse back to the same texts as ``/dashboard/api/summary``; for supervisors and admins only; linked from the page."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from services.sla.dashboard.export import FIELDS, HEADINGS
from shared.auth import issue_token
from tests.conftest import embedded_settings, running_app
from tests.support import complaint_body, eventually


async def test_the_period_export_is_the_table_the_page_shows(tmp_path):
    settings = embedded_settings(tmp_path)
    supervisor = {"Authorization": f"Bearer {issue_token(settings.auth_secret, role='supervisor', name='王督办')}"}
    handler = {"Authorization": "Bearer " + issue_token(settings.auth_secret, role="handler", name="张三",
                                                        department="power")}
    async with running_app(settings) as (_, client):
        assert (await client.get("/dashboard/export.csv")).status_code == 401
        assert (await client.get("/dashboard/export.xlsx", headers=handler)).status_code == 403
        assert (await client.get("/dashboard/export.pdf", headers=supervisor)).status_code in {404, 422}
        assert (await client.get("/dashboard/export.csv?from=2026-13-01", headers=supervisor)).status_code == 422

        assert (await client.post("/v1/complaints", json=complaint_body())).status_code == 201

        async def projected():
            summary = (await client.get("/dashboard/api/summary", headers=supervisor)).json()
            return summary if summary["total"]["received"] == 1 else None

        summary = await eventually(projected)
        period = f"from={summary['period']['from']}&to={summary['period']['to']}"
        expected = [[d["name"], *(d["display"][f] for f in FIELDS)] for d in [*summary["departments"],
                                                                              summary["total"]]]

        response = await client.get(f"/dashboard/export.csv?{period}", headers=supervisor)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert summary["period"]["from"] in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == list(HEADINGS) and "区间内登记：办结率" in rows[0]
        assert rows[1:] == expected
        power = next(r for r in rows if r[0].endswith("供电局"))
        assert power[HEADINGS.index("区间内登记：登记")] == "1"

        response = await client.get(f"/dashboard/export.xlsx?{period}", headers=supervisor)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert values[0] == list(HEADINGS)
        assert [[str(v) for v in row] for row in values[1:]] == expected
        assert values[-1][HEADINGS.index("区间内登记：登记")] == 1  # counts are numbers

        page = (await client.get("/dashboard", headers=supervisor)).text
        assert 'formaction="/dashboard/export.csv"' in page and 'formaction="/dashboard/export.xlsx"' in page
