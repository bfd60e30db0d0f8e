"""Signed frame links: a phone without a Home Assistant login may fetch one pending frame, a while.

A link names the item and when it stops working, and carries an HMAC of both under a secret that
survives restarts (Home Assistant's own signed paths use a key made anew at every start, so a
notification's image would break with the first restart while its detection is still pending).
"""

from __future__ import annotations

import hashlib
import hmac
import re

TOKEN = re.compile(r"(\d{1,12})\.([0-9a-f]{32})")


def _mac(secret: bytes, item_id: str, expires: int) -> str:
    return hmac.new(secret, f"{item_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def token(secret: bytes, item_id: str, expires: int) -> str:
    """The signature of a link to `item_id` that works until `expires` (Unix seconds)."""
    return f"{expires}.{_mac(secret, item_id, expires)}"


def valid(secret: bytes, item_id: str, value: str, now: float) -> bool:
    """Whether `value` is a signature of `item_id` that still works at `now`."""
    match = TOKEN.fullmatch(value)
    if match is None or int(match[1]) < now:
        return False
    return hmac.compare_digest(match[2], _mac(secret, item_id, int(match[1])))
