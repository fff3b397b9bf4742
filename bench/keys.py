"""Mint the benchmark's API keys in one process, through `safetynet keys create`'s own code.

    python -m bench.keys '[{"role": "agency", "name": "bench-police", "county": "苗栗縣", "agency_type": "police"}]'

prints one `key: <secret>` line per key, in order. The CLI once per key starts Python, imports every
service and checks intake's migrations nine times over: about 3 s a key on this machine,
half a minute per configuration. Run with the services' environment (SAFETYNET_*).
"""

import argparse
import asyncio
import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from safetynet.cli import keys

REPO = Path(__file__).resolve().parent.parent


async def mint(specs: list[dict[str, str]]) -> list[str]:
    secrets = []
    for spec in specs:
        args = argparse.Namespace(
            keys_command="create",
            role=spec["role"],
            name=spec["name"],
            county=spec["county"],
            agency_type=spec.get("agency_type"),
            unit=spec.get("unit"),
            expires_in_days=None,
        )
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = await keys.run(args)
        if code:
            raise RuntimeError(f"keys create {spec} exited {code}: {out.getvalue()}")
        secrets.append(out.getvalue().strip().splitlines()[-1])  # the secret is the last line, as for the CLI
    return secrets


def start(specs: list[dict[str, str]], env: dict[str, str]) -> "subprocess.Popen[str]":
    """Mint in a child process (it may run while the services start); `collect` waits."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.keys", json.dumps(specs, ensure_ascii=False)],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def collect(process: "subprocess.Popen[str]", timeout: float = 120) -> list[dict[str, str]]:
    """The Authorization headers, in the order the keys were asked for."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    if process.returncode:
        raise RuntimeError(f"bench.keys exited {process.returncode}: {err[-3000:]}")
    prefix = "key: "
    return [
        {"Authorization": f"Bearer {line.removeprefix(prefix)}"} for line in out.splitlines() if line.startswith(prefix)
    ]


def main(argv: list[str]) -> int:
    specs: list[dict[str, Any]] = json.loads(argv[0])
    for secret in asyncio.run(mint(specs)):
        print(f"key: {secret}")  # marked: nothing else on stdout is taken for a key
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
