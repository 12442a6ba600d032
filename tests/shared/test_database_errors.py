"""A database error carries none of the statement's values, whichever way the statement went: SQLAlchemy prints a
statement's parameters into its errors, PostgreSQL quotes the failing row (``DETAIL: Failing row contains …``) and a
value it cannot read, asyncpg quotes an argument it cannot encode. Whatever logs such an error — its message, its
``repr``, its traceback with every driver error chained to it — shows the statement and what went wrong, never the
data."""

from __future__ import annotations

import traceback

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from services.intake.store import INSERT_COMPLAINT
from tests.shared.test_unit_of_work import COMPLAINT, complaint, db, postgres_db  # noqa: F401 - fixtures
from tests.support import refuse_new_rows

#: A filing's title as a filer might write it: name and mobile included.
MARK = "欧阳密保13912340987"


def _shown(error: BaseException) -> str:
    """Everything a log of ``error`` could carry."""
    return "".join(traceback.format_exception(error)) + repr(error) + str(error)


def _assert_shows_no_values(error: BaseException, *, names: str) -> None:
    shown = _shown(error)
    assert MARK not in shown and "13912340987" not in shown, shown
    assert names in shown, f"the error should still say what failed ({names}): {shown}"


async def _refused(db) -> dict:
    await refuse_new_rows(db.url, "intake_complaint")
    return complaint("c-refused", title=MARK, text=MARK, enterprise_name=MARK)


async def test_a_refused_insert_through_sqlalchemy(db):
    row = await _refused(db)
    with pytest.raises(IntegrityError) as refused:
        async with db.unit_of_work() as uow:
            await uow.session.execute(INSERT_COMPLAINT, row)
    _assert_shows_no_values(refused.value, names="refused_by_the_test")


async def test_a_refused_insert_queued_for_the_commit(db):
    row = await _refused(db)
    with pytest.raises(IntegrityError) as refused:
        async with db.unit_of_work() as uow:
            await uow.session.execute(text("SELECT 1"))  # the transaction has begun
            uow.write(INSERT_COMPLAINT, [row, {**row, "id": "c-refused-2", "tracking_number": "T-refused-2"}])
            await uow.commit()
    _assert_shows_no_values(refused.value, names="refused_by_the_test")


async def test_a_value_postgresql_cannot_read(postgres_db):
    with pytest.raises(DBAPIError) as refused:
        async with postgres_db.unit_of_work() as uow:
            await uow.session.execute(text("SELECT CAST(CAST(:value AS text) AS integer)"), {"value": MARK})
    _assert_shows_no_values(refused.value, names="InvalidTextRepresentation")


async def test_an_argument_the_driver_cannot_encode(postgres_db):
    query = select(COMPLAINT.c.id).where(COMPLAINT.c.version == bindparam("version"))
    with pytest.raises(DBAPIError) as refused:
        async with postgres_db.unit_of_work() as uow:
            await uow.read(query, {"version": MARK})
    _assert_shows_no_values(refused.value, names="DataError")
