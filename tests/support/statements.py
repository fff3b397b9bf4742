"""Counting the statements an engine sends, through SQLAlchemy or the driver
(safetynet.platform.driver), for the tests that prove a batch reads once and writes once."""

import re
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform import driver


class Statements:
    """Every statement `engine` runs from now on, in order, as SQL text."""

    def __init__(self, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch):
        self.sql: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)
        fetch, execute = driver.Driver.fetch, driver.Driver.execute

        async def counted_fetch(self_: driver.Driver, sql: str, *args: Any) -> list[Any]:
            self.sql.append(sql)
            return await fetch(self_, sql, *args)

        async def counted_execute(self_: driver.Driver, sql: str, *args: Any) -> int:
            self.sql.append(sql)
            return await execute(self_, sql, *args)

        monkeypatch.setattr(driver.Driver, "fetch", counted_fetch)
        monkeypatch.setattr(driver.Driver, "execute", counted_execute)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.sql.append(statement)

    def count(self, pattern: str) -> int:
        """How many statements match `pattern` (a regular expression, any case, on the SQL
        with its whitespace collapsed)."""
        return sum(1 for s in self.sql if re.search(pattern, " ".join(s.split()), re.IGNORECASE))
