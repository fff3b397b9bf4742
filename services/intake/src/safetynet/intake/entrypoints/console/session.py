"""Console cookies and CSRF tokens, HMAC-signed with the console's own secret
(SAFETYNET_CONSOLE_SECRET: the first of its secrets signs, any of them verifies, so it
rotates without signing everyone out).

The session cookie holds the key *id* (never the secret), a random session id and an
expiry; the session itself is stored (service_layer/sessions.py), so signing out,
revoking the key or leaving it idle ends it whatever copies of the cookie exist. The
CSRF token is derived from the session id, so it is per session.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "sn_console_session"
PRE_COOKIE = "sn_console_signin"  # binds the sign-in form to this browser (login CSRF)
PATH = "/console"
LIFETIME_SECONDS = 12 * 3600  # one shift; then sign in again
PRE_LIFETIME_SECONDS = 3600
CSRF_FIELD = "csrf_token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    key_id: str
    session_id: str
    expires_at: int


class Signer:
    """Signs console cookies and tokens with the first secret; accepts any of them."""

    def __init__(self, secrets_: list[bytes]):
        if not secrets_:
            raise ValueError("the console needs a signing secret")
        self._keys = [hmac.new(s, b"safetynet-console-session-v1", hashlib.sha256).digest() for s in secrets_]

    @staticmethod
    def _mac_with(key: bytes, purpose: str, value: str) -> str:
        return _b64(hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).digest())

    def _mac(self, purpose: str, value: str) -> str:
        return self._mac_with(self._keys[0], purpose, value)

    def _check(self, purpose: str, value: str, mac: str) -> bool:
        return any(hmac.compare_digest(self._mac_with(k, purpose, value), mac) for k in self._keys)

    # The session cookie ------------------------------------------------------------

    def new_session(self, key_id: str, *, now: float | None = None) -> tuple[Session, str]:
        session = Session(
            key_id=key_id, session_id=secrets.token_urlsafe(18), expires_at=int((now or time.time()) + LIFETIME_SECONDS)
        )
        body = _b64(
            json.dumps(
                {"k": session.key_id, "s": session.session_id, "e": session.expires_at}, separators=(",", ":")
            ).encode()
        )
        return session, f"{body}.{self._mac('session', body)}"

    def read_session(self, cookie: str | None, *, now: float | None = None) -> Session | None:
        if not cookie or cookie.count(".") != 1:
            return None
        body, mac = cookie.split(".")
        if not self._check("session", body, mac):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(key_id=str(data["k"]), session_id=str(data["s"]), expires_at=int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires_at > (now or time.time()) else None

    def csrf_token(self, session: Session) -> str:
        return self._mac("csrf", session.session_id)

    def check_csrf(self, session: Session, token: str | None) -> bool:
        return bool(token) and self._check("csrf", session.session_id, token or "")

    # The sign-in form, before there is a session ------------------------------------

    def new_signin_nonce(self) -> tuple[str, str]:
        """(cookie value, form token): a cross-site form post carries neither."""
        nonce = f"{secrets.token_urlsafe(18)}.{int(time.time()) + PRE_LIFETIME_SECONDS}"
        return nonce, self._mac("signin", nonce)

    def check_signin(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token or "." not in nonce:
            return False
        try:
            expires = int(nonce.rsplit(".", 1)[1])
        except ValueError:
            return False
        return expires > time.time() and self._check("signin", nonce, token)


def is_https(request: Request, public_base_url: str, *, secure: bool = False) -> bool:
    """Whether cookies go out Secure: always, unless the settings turn it off (the
    embedded development mode does); else when the request came over https (the
    trusted proxies' X-Forwarded-Proto counts) or the public address is https."""
    return secure or request.url.scheme == "https" or public_base_url.startswith("https://")


def set_cookie(response: Response, name: str, value: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=PATH, secure=secure, httponly=True, samesite="strict")


def clear_cookie(response: Response, name: str, *, secure: bool) -> None:
    response.delete_cookie(name, path=PATH, secure=secure, httponly=True, samesite="strict")
