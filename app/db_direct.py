"""Hot statements straight through the database driver, in the session's own transaction.

A sale sends about a dozen small statements. Through SQLAlchemy each costs several times what the driver
itself spends on it (building the execution context, bind and result processing, the asyncpg adapter's
lock and status parsing): measured side by side, the same statements ran at half the rate through an
`AsyncSession` as through asyncpg directly (bench/README.md). So the statements on the sale path are Core
statements wrapped in `Direct`: on PostgreSQL they are compiled once by SQLAlchemy (SQL text, parameter
order, the column types' bind and result conversions) and then run with asyncpg on the connection the
session holds, inside its transaction; on any other database (SQLite) they run through the session as
usual. The statement stays the one description of the SQL; only the road it takes differs.

What the session would do around a statement is done here too: pending ORM changes are flushed first
(autoflush), Python-side column defaults (`updated_at`) are filled in, values and results go through the
column types' conversions, and errors come back as SQLAlchemy's (`IntegrityError` for a unique or
foreign-key violation). Rows come back as named tuples (attribute access and `_asdict()`, like
SQLAlchemy's rows).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Insert
from sqlalchemy.sql.expression import Executable

Params = Mapping[str, Any]
Convert = Callable[[Any], Any] | None


class DirectResult:
    """The rows a statement returned (a list: read as many times as wanted)."""

    __slots__ = ("rows",)

    def __init__(self, rows: Sequence[Any]) -> None:
        self.rows = rows

    def all(self) -> list[Any]:
        return list(self.rows)

    def first(self) -> Any | None:
        return self.rows[0] if self.rows else None

    def one_or_none(self) -> Any | None:
        if len(self.rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def scalar_one(self) -> Any:
        if len(self.rows) != 1:
            raise (
                exc.NoResultFound("Expected exactly one row")
                if not self.rows
                else exc.MultipleResultsFound("Multiple rows were found when exactly one was required")
            )
        return self.rows[0][0]

    def scalar_one_or_none(self) -> Any | None:
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]


@dataclass(frozen=True)
class _Plan:
    """A statement as asyncpg runs it: the SQL, where each argument comes from, how values convert."""

    sql: str
    defaults: tuple[tuple[str, Any], ...]  # Python-side column defaults (`updated_at`) for keys not given
    # (parameter, index in an expanded list, bind conversion); a parameter not given is a constant of the
    # statement's (the 1 in `next_receipt_no + 1`), stored as its value (converted) with no parameter.
    arguments: tuple[tuple[str | None, int | None, Convert | Any], ...]
    results: tuple[Convert, ...]
    row: type


class Direct:
    """A Core statement run straight through asyncpg on PostgreSQL, through the session elsewhere."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[tuple[Any, ...], _Plan] = {}

    async def run(self, session: AsyncSession, params: Params | None = None) -> DirectResult:
        params = params or {}
        dialect, driver = await _driver(session)
        if driver is None:  # not PostgreSQL: the session's own road
            result: Any = await session.execute(self.statement, dict(params))  # a CursorResult
            return DirectResult(result.all() if result.returns_rows else [])
        sync = session.sync_session
        if sync.autoflush and not sync._is_clean():  # as session.execute would
            await session.flush()
        plan = self._plan(dialect, params)
        if plan.defaults:
            params = {**params, **{name: _default(default) for name, default in plan.defaults}}
        arguments = [
            constant if name is None else _value(params[name], index, constant)
            for name, index, constant in plan.arguments
        ]
        try:
            records = await driver.fetch(plan.sql, *arguments)
        except Exception as error:
            raise _translated(dialect, plan.sql, arguments, error) from error
        results = plan.results
        return DirectResult(
            [
                plan.row(
                    *(
                        value if convert is None else convert(value)
                        for value, convert in zip(record, results, strict=True)
                    )
                )
                for record in records
            ]
        )

    async def each(self, session: AsyncSession, rows: Sequence[Params]) -> list[Any]:
        """One execution per row, in order (an INSERT … RETURNING of several rows: their results)."""
        return [(await self.run(session, row)).first() for row in rows]

    def _plan(self, dialect: Dialect, params: Params) -> _Plan:
        # Lists (expanding IN) change the SQL with their length; other values do not.
        key = tuple(
            (name, len(value) if isinstance(value, list | tuple) else None) for name, value in params.items()
        )
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._compile(dialect, params)
        return plan

    def _compile(self, dialect: Dialect, params: Params) -> _Plan:
        statement: Any = self.statement
        # An INSERT without .values() takes its columns from the keys given.
        keys = list(params) if isinstance(statement, Insert) else None
        compiled: Any = statement.compile(dialect=dialect, column_keys=keys)
        defaults = tuple(
            (column.key, column.default) for column in compiled.insert_prefetch if column.key not in params
        ) + tuple(
            (column.key, column.onupdate) for column in compiled.update_prefetch if column.key not in params
        )
        state = compiled.construct_expanded_state({**params, **{name: None for name, _d in defaults}})
        expanded_from = {
            part: (name, index)
            for name, parts in state.parameter_expansion.items()
            for index, part in enumerate(parts)
        }
        arguments = []
        given = set(params) | {name for name, _d in defaults}
        for part in state.positiontup or ():
            name, index = expanded_from.get(part, (part, None))
            convert = state.processors.get(part)
            if name in given:
                arguments.append((name, index, convert))
            else:
                value = state.parameters[part]
                arguments.append((None, None, value if convert is None else convert(value)))
        # An INSERT's may include the primary key SQLAlchemy asks back on its own (implicit RETURNING).
        columns = list(compiled.effective_returning or statement.exported_columns)
        results = tuple(_result_processor(column.type, dialect) for column in columns)
        row = namedtuple("Row", [column.key for column in columns], rename=True)  # type: ignore[misc]
        return _Plan(state.statement, defaults, tuple(arguments), results, row)


def _result_processor(kind: Any, dialect: Dialect) -> Convert:
    try:
        return kind.dialect_impl(dialect).result_processor(dialect, None)  # type: ignore[no-any-return]
    except (TypeError, exc.InvalidRequestError):
        # The asyncpg dialect's numeric types choose by the result's type code, which SQLAlchemy learns
        # from a cursor; asyncpg already returns a float column as float and a numeric one as Decimal.
        return None


def _default(default: Any) -> Any:
    """A column's Python-side default, as SQLAlchemy would compute it for the row."""
    return default.arg(None) if default.is_callable else default.arg


def _value(given: Any, index: int | None, convert: Convert) -> Any:
    value = given if index is None else given[index]
    return value if convert is None else convert(value)


_DRIVER = "db_direct.driver"


async def _driver(session: AsyncSession) -> tuple[Dialect, Any]:
    """The session's dialect and, on PostgreSQL, the asyncpg connection under the session's own, with the
    transaction begun (SQLAlchemy's asyncpg adapter sends BEGIN lazily, before its first statement; it may
    not have sent one yet). Kept in the session's `info` for as long as its innermost transaction lasts:
    asking the session for its connection is what makes it send a savepoint's SAVEPOINT, lazily."""
    transaction = _innermost(session)
    known = session.info.get(_DRIVER)
    if known is not None and transaction is not None and known[0] is transaction:
        return known[1], known[2]
    connection = await session.connection()
    driver = None
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        adapted: Any = raw.dbapi_connection
        # The adapter's own transaction handling is not public: should a SQLAlchemy release change it,
        # the statements take the session's road (slower, still right) instead of failing.
        start = getattr(adapted, "_start_transaction", None)
        if start is not None and hasattr(adapted, "_transaction"):
            if adapted._transaction is None and not adapted.autocommit:
                await start()
            driver = adapted.driver_connection
    session.info[_DRIVER] = (_innermost(session), connection.dialect, driver)
    return connection.dialect, driver


def _innermost(session: AsyncSession) -> Any:
    sync = session.sync_session
    return sync.get_nested_transaction() or sync.get_transaction()


def _translated(dialect: Dialect, sql: str, arguments: list[Any], error: Exception) -> Exception:
    """asyncpg's error as the session would have raised it."""
    dbapi: Any = dialect.loaded_dbapi
    translate = getattr(dbapi, "_asyncpg_error_translate", {})
    for kind in type(error).__mro__:
        if kind in translate:
            message = error.args[0] if error.args else str(error)
            translated: Exception = exc.DBAPIError.instance(
                sql, arguments, translate[kind](message, error), dbapi.Error
            )
            return translated
    return error
