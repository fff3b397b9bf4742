"""What the `safetynet` command may do to routing, and all it reaches of it: migrations."""

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.migrations import upgrade
from safetynet.routing.adapters import orm
from safetynet.routing.bootstrap import MIGRATIONS


async def migrate(*, engine: AsyncEngine) -> None:
    """Bring routing's tables to the newest migration."""
    await upgrade(engine, schema=orm.SCHEMA, script_location=MIGRATIONS)
