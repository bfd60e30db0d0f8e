"""Signed frame links: only the item, only until they expire, only with the secret."""

from __future__ import annotations

from custom_components.mlwatch.core.signing import token, valid

SECRET = bytes(range(32))


def test_a_link_works_for_its_item_until_it_expires() -> None:
    value = token(SECRET, "a" * 32, 1000)
    assert valid(SECRET, "a" * 32, value, 999.5)
    assert valid(SECRET, "a" * 32, value, 1000)
    assert not valid(SECRET, "a" * 32, value, 1000.5)
    assert not valid(SECRET, "b" * 32, value, 10)
    assert not valid(bytes(32), "a" * 32, value, 10)


def test_a_changed_expiry_or_a_malformed_signature_is_refused() -> None:
    expires, mac = token(SECRET, "a" * 32, 1000).split(".")
    assert not valid(SECRET, "a" * 32, f"{int(expires) + 10**6}.{mac}", 10)
    for broken in ("", ".", mac, f"{expires}.", f"{expires}.{mac[:-1]}", f"-1.{mac}", "x" * 45):
        assert not valid(SECRET, "a" * 32, broken, 10), broken
