"""Readiness probe for the broker started by scripts/infra (stdlib only).

Sends ApiVersions, then a real Metadata request, and succeeds (exit 0) when the
broker answers with at least one live broker in the cluster metadata.

    python3 kafka_ready.py HOST PORT [TIMEOUT_SECONDS]
"""

import socket
import struct
import sys

METADATA = 3
API_VERSIONS = 18


def _request(sock, api_key, version, correlation_id, body=b""):
    client_id = b"safetynet-infra"
    # Request header v1: api_key, api_version, correlation_id, client_id (string).
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    data = _recv_exact(sock, size)
    (got_id,) = struct.unpack_from(">i", data, 0)
    if got_id != correlation_id:
        raise RuntimeError("correlation id mismatch")
    return data[4:]


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return bytes(buf)


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        vals = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return vals if len(vals) > 1 else vals[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos : self.pos + n].decode()
        self.pos += n
        return s


def probe(host, port, timeout):
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        # ApiVersions v0: empty body; response: error_code, [api_key, min, max].
        r = _Reader(_request(sock, API_VERSIONS, 0, 1))
        err = r.take(">h")
        if err:
            raise RuntimeError(f"ApiVersions error {err}")
        versions = {}
        for _ in range(r.take(">i")):
            key, lo, hi = r.take(">hhh")
            versions[key] = (lo, hi)
        lo, hi = versions[METADATA]
        version = max(lo, 1)
        if version > min(hi, 8):  # v9+ is the flexible encoding; not needed here
            raise RuntimeError(f"no usable Metadata version in {lo}..{hi}")
        body = struct.pack(">i", -1)  # topics: null = all topics
        if version >= 4:
            body += struct.pack(">?", False)  # allow_auto_topic_creation
        if version >= 8:
            body += struct.pack(">??", False, False)  # authorized operations
        r = _Reader(_request(sock, METADATA, version, 2, body))
        if version >= 3:
            r.take(">i")  # throttle_time_ms
        brokers = []
        for _ in range(r.take(">i")):
            node_id = r.take(">i")
            bhost = r.string()
            bport = r.take(">i")
            r.string()  # rack
            brokers.append((node_id, bhost, bport))
        if not brokers:
            raise RuntimeError("metadata lists no live broker yet")
        return brokers


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    try:
        brokers = probe(host, port, timeout)
    except Exception as exc:
        print(f"kafka not ready: {exc}", file=sys.stderr)
        return 1
    print("kafka ready: brokers " + ", ".join(f"{n}@{h}:{p}" for n, h, p in brokers), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
