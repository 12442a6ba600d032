"""The dashboard splits its county figures by who filed (``filer_kind`` of ``complaint.received``): enterprises,
citizens and anonymous hotline callers, each counted once, from the events alone."""

from __future__ import annotations

from shared.auth import issue_token
from tests.conftest import embedded_settings, running_app
from tests.support import complaint_body, eventually

CITIZEN = {"kind": "individual", "name": "李秀英", "mobile": "13912345678"}


async def test_the_county_figures_split_by_filer_kind(tmp_path):
    settings = embedded_settings(tmp_path)
    supervisor = {"Authorization": f"Bearer {issue_token(settings.auth_secret, role='supervisor', name='王督办')}"}
    operator = {"Authorization": f"Bearer {issue_token(settings.auth_secret, role='operator', name='话务员01')}"}
    async with running_app(settings) as (_app, client):
        bodies = [(complaint_body("一周停了四次电"), {}),
                  (complaint_body("消防验收办不下来", "新建厂房申请消防验收三个月了，住建局一直让补资料。"), {}),
                  (complaint_body("路灯坏了", "小区门口的路灯坏了一个月，晚上出行不便。", filer=CITIZEN), {}),
                  (complaint_body("占道经营", "菜市场门口天天占道经营，堵得车过不去。", channel="hotline",
                                  filer={"kind": "anonymous"}), operator)]
        for body, headers in bodies:
            assert (await client.post("/v1/complaints", json=body, headers=headers)).status_code == 201

        async def split():
            summary = (await client.get("/dashboard/api/summary", headers=supervisor)).json()
            kinds = {k["kind"]: (k["label"], k["received"], k["open"]) for k in summary["filer_kinds"]}
            return kinds if sum(k[1] for k in kinds.values()) == 4 else None

        assert await eventually(split) == {"enterprise": ("企业", 2, 2), "individual": ("个人", 1, 1),
                                           "anonymous": ("匿名", 1, 1)}
