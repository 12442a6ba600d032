"""Readiness follows the real dependencies: /readyz answers 503 while the broker is unreachable and 200 again when
it is back; /healthz (liveness) stays 200 throughout."""

from __future__ import annotations

import pytest

from shared.settings import AllInOneSettings
from tests.conftest import running_app
from tests.support import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_readiness_fails_while_the_broker_is_away(broker, postgres_url):
    settings = AllInOneSettings(database_url=postgres_url, kafka_bootstrap_servers=broker.bootstrap,
                                kafka_enable_idempotence=False, kafka_topic_partitions=1)
    async with running_app(settings) as (_, client):
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert all(ready.json()["checks"].values())
        broker.pause()
        try:
            async def not_ready():
                response = await client.get("/readyz")
                return response if response.status_code == 503 else None

            response = await eventually(not_ready, timeout=30, interval=0.5)
            assert response.json()["checks"]["bus"] is False
            assert all(v for k, v in response.json()["checks"].items() if k != "bus")  # the databases are fine
            assert (await client.get("/healthz")).status_code == 200
        finally:
            broker.resume()

        async def ready_again():
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready_again, timeout=60, interval=0.5)
