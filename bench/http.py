"""A minimal HTTP/1.1 keep-alive client for the load generator.

httpx costs about 2 ms of CPU per request on this machine, more than the baseline
server spends answering it; on 2 cores that would make the generator the bottleneck
of every capacity figure. This client writes pre-encoded requests on raw asyncio
streams and reads Content-Length or chunked responses: tens of microseconds each.
"""

import asyncio
import time
from urllib.parse import urlsplit


class HttpError(Exception):
    pass


class _Stale(HttpError):
    """A kept-alive connection the server had closed: nothing was answered."""


# uvicorn closes a connection idle for 5 s (timeout_keep_alive); reuse younger ones only.
MAX_IDLE = 3.0


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.idle_since = time.monotonic()

    async def request(self, raw: bytes) -> tuple[int, bytes, bool]:
        """Send one request; (status, body, server keeps the connection open)."""
        self.writer.write(raw)
        status_line = await self.reader.readline()
        if not status_line:
            raise _Stale("connection closed before an answer")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, keep = None, False, True
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value:
                chunked = True
            elif name == b"connection" and value == b"close":
                keep = False
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.readexactly(length or 0)
        return status, body, keep

    def close(self) -> None:
        self.writer.close()


class HttpClient:
    """A pool of at most `connections` keep-alive connections to one origin."""

    def __init__(self, base_url: str, connections: int, timeout: float = 30.0):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(connections)

    def encode(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        async with self._slots:
            while self._idle:
                conn = self._idle.pop()
                if time.monotonic() - conn.idle_since < MAX_IDLE:
                    try:
                        return await self._exchange(conn, raw)
                    except (_Stale, ConnectionResetError, BrokenPipeError):
                        continue  # closed under us before any answer: try a fresh one
                conn.close()
            conn = _Connection(*await asyncio.open_connection(self.host, self.port))
            return await self._exchange(conn, raw)

    async def _exchange(self, conn: _Connection, raw: bytes) -> tuple[int, bytes]:
        try:
            status, body, keep = await asyncio.wait_for(conn.request(raw), self.timeout)
        except BaseException:
            conn.close()
            raise
        if keep:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.close()
        return status, body

    async def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()

    async def __aenter__(self) -> "HttpClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
