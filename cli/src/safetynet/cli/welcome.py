"""What `safetynet dev` prints on start: where the API, its docs and the console are,
how to sign in, and (with --demo) the demo keys. On stdout, apart from the logs (stderr),
so a script or a test can read it."""

from typing import Any

from safetynet.contracts.settings import Settings


def banner(settings: Settings, *, host: str, port: int, keys: list[dict[str, Any]] | None = None,
           seeded: int = 0) -> str:
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
        lines.append(f"  Demo data {seeded} reports posted across the configured counties; screening and routing "
                     "take a few seconds." if seeded else "  Demo data the database already holds reports: none added.")
        lines += ["", "Demo keys (new ones every start; any earlier ones still work):"]
        for key in keys:
            lines.append(f"  {key['role']:<10} {key['county']}  {key['name']}  — {key['use']}")
            lines.append(f"             {key['key']}")
    else:
        lines += ["", "Sign in with a key from another terminal:",
                  "  .venv/bin/safetynet keys create --role dispatcher --name 值班社工 --county 苗栗縣",
                  "or start with `scripts/dev --demo` for demo keys and a day of reports."]
    lines += ["", "Stop with Ctrl-C.", ""]
    return "\n".join(lines)


async def announce(settings: Settings, *, intake: Any, host: str, port: int, demo: bool) -> None:
    """Seed the demo (when asked) before the services start, then say where things are.
    The reports wait in intake's outbox until the relay starts a moment later."""
    from safetynet.cli import demo as demo_data
    from safetynet.cli.keys import audit_key

    keys, seeded = None, 0
    if demo:
        keys, seeded = await demo_data.prepare(engine=intake.context.engine, app=intake.app,
                                               directory=intake.context.directory, audit_key=audit_key(settings))
    print(banner(settings, host=host, port=port, keys=keys, seeded=seeded), flush=True)
