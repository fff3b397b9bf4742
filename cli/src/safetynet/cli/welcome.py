"""What `safetynet dev` prints on start: where the API, its docs and the console are,
how to sign in, and (with --demo) the demo keys. On stdout, apart from the logs (stderr),
so a script or a test can read it."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.cli import demo as demo_data
from safetynet.intake.settings import IntakeSettings
from safetynet.platform.counties import CountyDirectory


def banner(
    settings: IntakeSettings, *, host: str, port: int, keys: list[dict[str, Any]] | None = None, seeded: int = 0
) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    lines = [
        "",
        "SafetyNet Dispatch is running: all four services in one process "
        f"({settings.database_url}, the embedded broker).",
        f"  Console   {base}/console   (sign in with a dispatcher key)",
        f"  API       {base}/v1/reports",
        f"  API docs  {base}/docs",
    ]
    if keys:
        lines.append(
            f"  Demo data {seeded} reports posted across the configured counties; screening and routing "
            "take a few seconds."
            if seeded
            else "  Demo data the database already holds reports: none added."
        )
        lines += ["", "Demo keys (new ones every start; any earlier ones still work):"]
        for key in keys:
            lines.append(f"  {key['role']:<10} {key['county']}  {key['name']}  — {key['use']}")
            lines.append(f"             {key['key']}")
    else:
        lines += [
            "",
            "Sign in with a key from another terminal:",
            "  .venv/bin/safetynet keys create --role dispatcher --name 值班社工 --county 苗栗縣",
            "or start with `scripts/dev --demo` for demo keys and a day of reports.",
        ]
    lines += ["", "Stop with Ctrl-C.", ""]
    return "\n".join(lines)


async def announce(
    settings: IntakeSettings,
    *,
    engine: AsyncEngine,
    app: Any,
    directory: CountyDirectory,
    host: str,
    port: int,
    demo: bool,
) -> None:
    """Seed the demo (when asked) before the services start, then say where things are.
    The reports wait in intake's outbox until the relay starts a moment later."""
    keys, seeded = None, 0
    if demo:
        keys, seeded = await demo_data.prepare(engine=engine, app=app, directory=directory, settings=settings)
    print(banner(settings, host=host, port=port, keys=keys, seeded=seeded), flush=True)
