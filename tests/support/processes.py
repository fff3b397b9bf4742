"""Starting and stopping the `safetynet` command in subprocesses, for tests that run it
as a user would."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SAFETYNET = str(Path(sys.executable).with_name("safetynet"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def safetynet(*args: str, env: dict[str, str], timeout: float = 60) -> str:
    """Run a `safetynet` command to completion and return its stdout."""
    done = subprocess.run(
        [SAFETYNET, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"safetynet {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def mint_key(env: dict[str, str], *args: str) -> str:
    """`safetynet keys create …`: the key is the last line of stdout."""
    return safetynet("keys", "create", *args, env=env).strip().splitlines()[-1]


class Process:
    """A long-running `safetynet` process with its log in a file."""

    def __init__(self, *args: str, env: dict[str, str], log: Path):
        self.args = args
        self.log_path = log
        # The child holds its own copy of the log's descriptor; ours closes at once.
        with open(log, "ab") as logfile:
            self.popen = subprocess.Popen(
                [SAFETYNET, *args],
                env={**os.environ, **env},
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.args} exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{url} not up after {timeout}s: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9: no shutdown code runs, as in a crash."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def running_dev(tmp_path: Path, **keys: list[str]) -> Iterator[dict[str, str]]:
    """`safetynet dev` on a fresh SQLite file and a free port, with one key per role named
    in `keys` (each value the `keys create` arguments): yields the base URL and the keys."""
    env = {"SAFETYNET_DATABASE_URL": f"sqlite:///{tmp_path}/dev.db"}
    port = free_port()
    process = Process("dev", "--port", str(port), env=env, log=tmp_path / "dev.log")
    try:
        process.wait_http(f"http://127.0.0.1:{port}/healthz")
        minted = {name: mint_key(env, *args) for name, args in keys.items()}
        yield {"base": f"http://127.0.0.1:{port}", **minted}
    finally:
        process.stop()
