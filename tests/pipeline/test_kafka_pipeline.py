"""End to end on real components: a Kafka-protocol broker and PostgreSQL.

The three services run as separate processes, as in scale-out (the SLA service at a lower CPU priority, as the
benchmark runs it); the outage test pauses the broker while complaints are filed and checks that each is routed
exactly once after it comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from services.router.models import Decision
from shared.bus.kafka import KafkaBus
from shared.calendar import SHANGHAI
from shared.settings import AllInOneSettings, CommonSettings
from tests.conftest import running_app
from tests.intake.helpers import FilerClient
from tests.pipeline.helpers import bus_events, by_complaint, wait_routed
from tests.support import complaint_body, eventually, free_port, spawn_service, stop_process

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

BODIES = [
    complaint_body("一周停了四次电", "工业园区这周停电四次，没有预告，生产线损失严重，请供电部门处理。"),
    complaint_body("发票开不出来", "电子税务局三天登不上去，数电发票开不出来，客户等着票结款。"),
    complaint_body("工地欠薪", "我们十几个农民工在物流园工地干了半年，包工头拖欠工资二十多万，请帮忙追讨。"),
    complaint_body("商标被冒用", "我们注册的大米商标被几家粮油店冒用，包装几乎一样，请查处侵权。"),
]


def kafka_env(bootstrap: str, database_url: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
        "KAFKA_TOPIC_PARTITIONS": "3",
        "DATABASE_URL": database_url,
        "TIMER_INTERVAL_S": "0.2",
    }


@contextlib.contextmanager
def service_processes(env: dict[str, str], log_dir, extra: dict[str, dict[str, str]] | None = None):
    """The three services as processes; ``extra`` adds environment variables for one of them."""
    ports = {name: free_port() for name in ("intake", "router", "sla")}
    procs = {}
    try:
        for name, port in ports.items():
            procs[name] = spawn_service(name, {**env, f"{name.upper()}_PORT": str(port), **(extra or {}).get(name, {})},
                                        log_dir / f"{name}.log")
        yield ports, procs
    finally:
        for proc in procs.values():
            stop_process(proc)


async def wait_ready(client: httpx.AsyncClient, url: str) -> None:
    async def ready():
        with contextlib.suppress(httpx.HTTPError):
            return (await client.get(url)).status_code == 200
        return False

    await eventually(ready, timeout=60, interval=0.3)


async def test_three_services_as_processes_on_kafka_and_postgres(broker, postgres_url, tmp_path):
    env = kafka_env(broker.bootstrap, postgres_url)
    with service_processes(env, tmp_path, {"sla": {"PROCESS_NICENESS": "10"}}) as (ports, procs):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['intake']}", timeout=30) as client:
            client = FilerClient(client)
            for name, port in ports.items():
                await wait_ready(client, f"http://127.0.0.1:{port}/readyz")
            niceness = {name: os.getpriority(os.PRIO_PROCESS, proc.pid) for name, proc in procs.items()}
            created = [(await client.post("/v1/complaints", json=body)).json() for body in BODIES]
            views = [await wait_routed(client, c["id"], timeout=60) for c in created]
    assert [v["department"] for v in views] == ["power", "tax", "hrss", "market"]
    assert all(v["due_at"] for v in views)
    assert niceness["sla"] == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    assert niceness["intake"] == niceness["router"] == os.getpriority(os.PRIO_PROCESS, 0)

    bus = KafkaBus(CommonSettings(kafka_bootstrap_servers=broker.bootstrap, kafka_enable_idempotence=False), "t")
    events = by_complaint(await bus_events(bus, idle_s=2.0))
    for c in created:
        assert {k: len(v) for k, v in events[c["id"]].items()} == {"received": 1, "routed": 1, "clock_opened": 1}


async def test_complaints_filed_during_a_broker_outage_are_routed_exactly_once(broker, postgres_url, tmp_path):
    settings = AllInOneSettings(
        database_url=postgres_url, kafka_bootstrap_servers=broker.bootstrap, kafka_enable_idempotence=False,
        kafka_topic_partitions=3, kafka_request_timeout_ms=3000, outbox_poll_interval_s=0.1, timer_interval_s=0.2,
    )
    async with running_app(settings) as (app, client):
        client = FilerClient(client)
        first = (await client.post("/v1/complaints", json=BODIES[0])).json()
        await wait_routed(client, first["id"], timeout=60)

        broker.pause()
        try:
            responses = [await client.post("/v1/complaints", json=BODIES[i % len(BODIES)]) for i in range(12)]
            assert {r.status_code for r in responses} == {201}
            await asyncio.sleep(4)  # the relay's sends time out and are retried while the broker is away
            statuses = {(await client.get(f"/v1/complaints/{r.json()['id']}")).json()["status"] for r in responses}
            assert statuses == {"received"}
        finally:
            broker.resume()

        ids = [r.json()["id"] for r in responses]
        for complaint_id in ids:
            await wait_routed(client, complaint_id, timeout=90)

        router_db = app.state.runtimes["router"].db
        async with router_db.engine.connect() as conn:
            rows = (await conn.execute(
                select(Decision.__table__.c.complaint_id, func.count()).group_by(Decision.__table__.c.complaint_id)
            )).all()
        decisions = dict(rows)
        assert all(decisions[i] == 1 for i in ids)
        events = by_complaint(await bus_events(app.state.bus, idle_s=2.0))
        for complaint_id in ids:
            assert len(events[complaint_id]["routed"]) + len(events[complaint_id]["triage_required"]) == 1
            assert len(events[complaint_id]["received"]) == 1


def _shift_to_working_hours() -> str:
    """``CLOCK_OFFSET_SECONDS`` that moves every process's clock to 10:00 Asia/Shanghai today, when messages go out
    as they are written (at any hour the suite runs)."""
    local = datetime.now(SHANGHAI)
    return f"{(local.replace(hour=10, minute=0, second=0, microsecond=0) - local).total_seconds():.3f}"


def _sms_counts(exposition: str) -> dict[tuple[str, str], float]:
    return {(s.labels["template"], s.labels["outcome"]): s.value
            for family in text_string_to_metric_families(exposition) if family.name == "sms_messages"
            for s in family.samples if s.name == "sms_messages_total"}


async def test_the_notifier_as_a_process_of_its_own_sends_what_intake_writes(broker, postgres_url, tmp_path):
    """Intake's replicas with ``NOTIFIER_IN_INTAKE=false`` and ``python -m services.intake.notify`` beside them, all
    started together on a fresh database. While the notifier is down nothing is sent — intake sends nothing itself —
    and nothing is lost: once it is back, the filing's message (written by intake's transaction) and the placement's
    (written by the notifier's consumer) go out once each, sent by the notifier."""
    sms_log = tmp_path / "sms.txt"
    env = {**kafka_env(broker.bootstrap, postgres_url), "CLOCK_OFFSET_SECONDS": _shift_to_working_hours(),
           "SMS_LOCAL_PATH": str(sms_log), "SMS_POLL_INTERVAL_S": "0.2", "CONSUMER_LINGER_S": "0.1"}
    notifier_env = {**env, "NOTIFIER_PORT": str(free_port())}
    notifier_url = f"http://127.0.0.1:{notifier_env['NOTIFIER_PORT']}"

    def sent_lines() -> list[str]:
        return sms_log.read_text(encoding="utf-8").splitlines() if sms_log.exists() else []

    notifier = spawn_service("intake.notify", notifier_env, tmp_path / "notify.log")
    try:
        with service_processes(env, tmp_path, {"intake": {"NOTIFIER_IN_INTAKE": "false"}}) as (ports, _):
            async with httpx.AsyncClient(timeout=30) as http, \
                    httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['intake']}", timeout=30) as intake:
                for url in (*(f"http://127.0.0.1:{p}" for p in ports.values()), notifier_url):
                    await wait_ready(http, f"{url}/readyz")
                stop_process(notifier)
                client = FilerClient(intake)
                filed = (await client.post("/v1/complaints", json=BODIES[0])).json()
                await wait_routed(client, filed["id"], timeout=60)
                await asyncio.sleep(3.0)  # many of the sender's polls and the consumer's batches
                sent_while_down = sent_lines()

                notifier = spawn_service("intake.notify", notifier_env, tmp_path / "notify.log")
                await wait_ready(http, f"{notifier_url}/readyz")
                lines = await eventually(lambda: sent_lines() if len(sent_lines()) >= 2 else None, timeout=30,
                                         interval=0.3)
                await asyncio.sleep(1.0)  # nothing more comes
                lines = sent_lines()
                sent_by_notifier = _sms_counts((await http.get(f"{notifier_url}/metrics")).text)
                sent_by_intake = _sms_counts((await intake.get("/metrics")).text)
    finally:
        stop_process(notifier)
    assert sent_while_down == []
    assert len(lines) == 2 and all(filed["tracking_number"] in line for line in lines)
    assert "已登记" in lines[0] and "已分派给青山县供电局" in lines[1]
    assert sent_by_notifier == {("filed_with_code", "sent"): 1.0, ("placed", "sent"): 1.0}
    assert sent_by_intake == {}
