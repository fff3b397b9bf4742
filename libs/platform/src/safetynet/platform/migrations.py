"""Alembic, one migration history per service, each in its own schema."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(script_location: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


async def upgrade(engine: AsyncEngine, *, schema: str, script_location: Path) -> None:
    """Bring `schema` to the newest revision of the migrations at `script_location`."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await conn.run_sync(_run, alembic_config(script_location), "upgrade")


async def autogenerate(engine: AsyncEngine, *, schema: str, script_location: Path, message: str) -> None:
    """Write a new revision from the difference between the models and the database."""
    await upgrade(engine, schema=schema, script_location=script_location)
    async with engine.begin() as conn:
        await conn.run_sync(_run, alembic_config(script_location), "revision", message)


def _run(connection: Connection, config: Config, action: str, message: str = "") -> None:
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, "head")
    else:
        command.revision(config, message=message, autogenerate=True)


def run_env(metadata: MetaData, *, schema: str) -> None:
    """The body of each service's alembic env.py."""
    from alembic import context

    connection: Connection = context.config.attributes["connection"]
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite has no schemas: each service keeps its own version table instead.
        version_table=f"alembic_version_{schema}" if sqlite else "alembic_version",
        version_table_schema=None if sqlite else schema,
        include_schemas=not sqlite,
        include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
        render_as_batch=sqlite,
    )
    with context.begin_transaction():
        context.run_migrations()


def schema_for(name: str) -> str | None:
    """The schema to name in a migration's ALTER operations: none on SQLite.

    create_table goes through the engine's schema translation, but ALTER operations
    (add_column, …) are rendered by Alembic with the schema as written.
    """
    from alembic import op

    return None if op.get_bind().dialect.name == "sqlite" else name
