"""What the `safetynet` command may do to screening, and all it reaches of it: migrations."""

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.migrations import upgrade
from safetynet.screening.adapters import orm
from safetynet.screening.bootstrap import MIGRATIONS


async def migrate(*, engine: AsyncEngine) -> None:
    """Bring screening's tables to the newest migration."""
    await upgrade(engine, schema=orm.SCHEMA, script_location=MIGRATIONS)
