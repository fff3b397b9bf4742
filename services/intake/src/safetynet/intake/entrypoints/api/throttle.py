"""Failed authentications are throttled per client address: a bad bearer key (API or
console) and a failed console sign-in each spend a token of the address's bucket
(SAFETYNET_AUTH_FAILURES_PER_MINUTE, bursts up to that many). Once it is empty, every
request from that address that needs a key is answered 429 with Retry-After *before*
the key is looked at, so a right guess cannot be told from a wrong one meanwhile.
A valid key from the address is refused too while it lasts: that is the price of not
being an oracle, and it lasts under a minute.
"""

from fastapi import HTTPException, Request

from safetynet.intake.entrypoints.api.ratelimit import TokenBuckets


def client_address(request: Request) -> str:
    # The trusted proxies' forwarded address when there are any (entrypoints/guard.py);
    # X-Forwarded-For is never read here directly: it is forgeable.
    return request.client.host if request.client else "unknown"


def _buckets(request: Request) -> TokenBuckets:
    buckets: TokenBuckets = request.app.state.auth_failures  # app.state is untyped; create_app sets it
    return buckets


def blocked(request: Request) -> int:
    """Seconds this address must wait before a key is looked at again; 0: none."""
    return _buckets(request).peek(client_address(request))


class TooManyFailures(HTTPException):
    """429: this address must wait `wait` seconds before a key is looked at again."""

    def __init__(self, wait: int):
        super().__init__(
            429, "too many failed sign-ins or bad keys from this address: wait", headers={"Retry-After": str(wait)}
        )
        self.wait = wait


def refuse_if_blocked(request: Request) -> None:
    wait = blocked(request)
    if wait:
        raise TooManyFailures(wait)


def failed(request: Request) -> None:
    """Count one failed authentication from this address."""
    _buckets(request).take(client_address(request))
