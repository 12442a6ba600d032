"""When the database refuses a filing's statement, the logs say what failed and carry nothing of the filing: not its
title or text, the enterprise's name or credit code, the contact's name or mobile. The product serves under uvicorn
as in service, and every record of every logger is captured at DEBUG, tracebacks included — on SQLite (whose errors
SQLAlchemy would print with the statement's parameters) and on PostgreSQL (whose errors quote the failing row)."""

from __future__ import annotations

import contextlib
import logging

import httpx
import pytest

from tests.conftest import embedded_settings
from tests.support import Server, complaint_body, credit_code, fresh_postgres, refuse_new_rows

TITLE = "窑炉突然断电损失惨重"
TEXT = "白沙镇密保陶瓷厂本周停电四次，没有任何预告，窑炉突然断电，一窑砖全废了，损失好几万，请供电部门尽快处理。"
ENTERPRISE = "青山县密保陶瓷有限公司"
CODE = credit_code(4242)
CONTACT = "欧阳密保"
MOBILE = "13912340987"
FILING = complaint_body(TITLE, TEXT, filer={"enterprise_name": ENTERPRISE, "credit_code": CODE,
                                            "contact_name": CONTACT, "mobile": MOBILE})
PERSONAL = [TITLE, TEXT, ENTERPRISE, CODE, CONTACT, MOBILE, "+86" + MOBILE, TEXT[:20], TITLE[:6]]


@contextlib.asynccontextmanager
async def _database(backend: str, tmp_path):
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/{{service}}.db"
    else:
        async with fresh_postgres() as url:
            yield url


async def _drop(url: str, table: str) -> None:
    from shared.engine import create_engine

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.exec_driver_sql(f"DROP TABLE {table}")
    await engine.dispose()


def _logged(record: logging.LogRecord) -> str:
    """All a handler could write of ``record``: the message, its arguments, the traceback and the stack."""
    parts = [record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


@pytest.mark.parametrize("backend, refusal, table, names", [
    ("sqlite", "refuse", "intake_complaint", "refused_by_the_test"),
    ("sqlite", "drop", "intake_filer_contact", "no such table: intake_filer_contact"),
    ("postgres", "refuse", "intake_complaint", "refused_by_the_test"),
    ("postgres", "refuse", "intake_filer_contact", "refused_by_the_test"),
], ids=["sqlite-complaint-refused", "sqlite-contact-table-dropped", "postgres-complaint-refused",
        "postgres-contact-refused"])
async def test_a_refused_filing_leaves_nothing_of_it_in_the_logs(tmp_path, caplog, backend, refusal, table, names):
    caplog.set_level(logging.DEBUG)
    async with _database(backend, tmp_path) as url:
        settings = embedded_settings(tmp_path, database_url=url)
        with Server(settings, log_config=None, log_level="debug") as server:
            intake = settings.database_url_for("intake")
            await (refuse_new_rows(intake, table) if refusal == "refuse" else _drop(intake, table))
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                answer = await client.post("/v1/complaints", json=FILING)
        assert answer.status_code in (500, 503), answer.text

    logged = [(record, _logged(record)) for record in caplog.records]
    failures = [text for record, text in logged if record.levelno >= logging.WARNING and names in text]
    assert failures, "the refusal is logged, saying what failed"
    leaks = [(record.name, value) for record, text in logged for value in PERSONAL if value in text]
    assert leaks == []
