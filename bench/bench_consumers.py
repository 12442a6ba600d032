"""CPU per event of each service's consumer, fed batches of events directly on PostgreSQL (no broker).

Each service's runtime is built as its entry point builds it, and its consumer applies batches of fresh events the
way one fetch brings them (``handle_together``): the router classifies received complaints, the SLA service opens
clocks for routed ones, the dashboard projects received, routed and clock-opened events, and intake follows routed
and clock-opened events about complaints it holds. The figure is this process's CPU time per event (PostgreSQL's own
work is not in it); the first batch warms the caches and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

from bench.harness import OUT, filing
from shared import events as ev
from shared.consumer import IdempotentConsumer
from shared.settings import IntakeSettings, RouterSettings, SlaSettings
from tests.support import fresh_postgres, records

NOW = datetime.now(timezone.utc)


async def _per_event(consumer: IdempotentConsumer, batches: list[list[ev.Envelope]]) -> float:
    """Milliseconds of CPU per event over all batches but the first (the records are encoded before timing)."""
    first, *rest = [records(batch) for batch in batches]
    await consumer.handle_together(first)
    started = time.process_time()
    for batch in rest:
        await consumer.handle_together(batch)
    return (time.process_time() - started) * 1000 / sum(len(batch) for batch in rest)


def _events(batches: int, size: int) -> dict[str, list[list[ev.Envelope]]]:
    ids = [[str(uuid.uuid4()) for _ in range(size)] for _ in range(batches)]
    bodies = [filing(n) for n in range(size)]
    received, routed, opened = [], [], []
    for batch in ids:
        received.append([ev.ComplaintReceivedV1(
            complaint_id=cid, tracking_number=f"B{n:06d}", title=bodies[n]["title"], text=bodies[n]["text"],
            channel="api", enterprise_name=bodies[n]["filer"]["enterprise_name"], received_at=NOW,
        ).envelope() for n, cid in enumerate(batch)])
        routed.append([ev.ComplaintRoutedV1(
            complaint_id=cid, department="power", score=3.0, confidence=0.9, financial_service=False,
            sla_policy="standard", received_at=NOW, routed_at=NOW, attempt=0,
        ).envelope() for cid in batch])
        opened.append([ev.SlaClockOpenedV1(
            complaint_id=cid, department="power", policy="standard",
            milestones=[ev.SlaMilestoneV1(milestone="resolution", due_at=NOW + timedelta(days=10))],
        ).envelope() for cid in batch])
    return {"ids": ids, "received": received, "routed": routed, "opened": opened}


async def measure(batches: int, size: int) -> dict[str, float]:
    from services.intake.app import build_runtime as intake_runtime
    from services.intake.models import Complaint
    from services.router.app import build_runtime as router_runtime
    from services.router.app import load_classifier
    from services.sla.app import build_runtime as sla_runtime

    events = _events(batches, size)
    result: dict[str, float] = {}
    async with fresh_postgres() as url:
        settings = RouterSettings(database_url=url)
        runtime = router_runtime(settings, None, load_classifier(settings))  # type: ignore[arg-type] - no bus
        await runtime.migrate()
        result["router: received"] = await _per_event(runtime.consumers[0], events["received"])
        await runtime.db.dispose()
    async with fresh_postgres() as url:
        runtime = sla_runtime(SlaSettings(database_url=url), None)  # type: ignore[arg-type]
        await runtime.migrate()
        clocks, dashboard = runtime.consumers
        result["sla clocks: routed"] = await _per_event(clocks, events["routed"])
        result["dashboard: received, routed, opened"] = await _per_event(dashboard, [
            r + o + c for r, o, c in zip(events["received"], events["routed"], events["opened"])])
        await runtime.db.dispose()
    async with fresh_postgres() as url:
        runtime = intake_runtime(IntakeSettings(database_url=url), None)  # type: ignore[arg-type]
        await runtime.migrate()
        async with runtime.db.unit_of_work() as uow:
            for batch in events["ids"]:
                for cid in batch:
                    uow.session.add(Complaint(
                        id=cid, tracking_number=cid[:24], title="停电", text="工业园区停电", channel="api",
                        enterprise_name="青山县某厂", credit_code="91350100M000100Y43", status="received",
                        received_at=NOW, updated_at=NOW, version=1,
                    ))
            await uow.commit()
        result["intake following: routed, opened"] = await _per_event(runtime.consumers[0], [
            r + o for r, o in zip(events["routed"], events["opened"])])
        await runtime.db.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--size", type=int, default=20, help="complaints per batch")
    args = parser.parse_args()
    result = asyncio.run(measure(args.batches, args.size))
    print(f"{'consumer: events':<40}{'CPU ms per event':>18}")
    for name, value in result.items():
        print(f"{name:<40}{value:>18.3f}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "consumers.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
