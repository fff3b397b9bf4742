"""Reading what `safetynet dev` prints on start (safetynet.cli.welcome)."""

import re
import time
from pathlib import Path

READY = "Stop with Ctrl-C."


def wait_for_banner(log: Path, timeout: float = 90) -> str:
    """The process's output once the start-up banner is complete."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if READY in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"no start-up banner after {timeout}s:\n{log.read_text()[-3000:]}")


def printed_key(output: str, role: str, county: str) -> str:
    """A demo key: the line after `<role> <county> …`."""
    found = re.search(rf"^ +{role} +{county} .*\n +(sn_\S+)$", output, re.MULTILINE)
    assert found, f"no {role} key for {county} in:\n{output}"
    return found.group(1)
