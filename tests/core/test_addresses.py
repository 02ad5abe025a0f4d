"""The client's address behind trusted reverse proxies (core.addresses.client_address), as a table."""

from __future__ import annotations

import pytest

from careconductor.core.addresses import client_address

PROXY = "10.0.0.1"

# (REMOTE_ADDR, X-Forwarded-For, trusted proxies) -> the client's address
TABLE = [
    ("203.0.113.5", "", 0, "203.0.113.5"),  # reached directly
    (
        "203.0.113.5",
        "198.51.100.7",
        0,
        "203.0.113.5",
    ),  # no proxy trusted: the header is the client's own words
    (PROXY, "203.0.113.5", 1, "203.0.113.5"),  # one proxy: the address it was reached from
    (PROXY, "1.2.3.4, 203.0.113.5", 1, "203.0.113.5"),  # what the client wrote before it is not believed
    (PROXY, "1.2.3.4, 203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),  # two proxies in a row
    (PROXY, "", 1, PROXY),  # the proxy sent no header: the peer
    ("203.0.113.5", "", 2, "203.0.113.5"),  # fewer hops than proxies: the leftmost known
    (PROXY, "unknown", 1, PROXY),  # not an address: the peer
    (PROXY, " 2001:DB8::1 ", 1, "2001:db8::1"),  # written the way the database keeps it
    ("", "", 0, None),  # no address at all (a test client without one)
]


@pytest.mark.parametrize(("remote", "forwarded", "proxies", "expected"), TABLE)
def test_the_client_address_trusts_only_the_configured_proxies(
    remote: str, forwarded: str, proxies: int, expected: str | None
) -> None:
    assert client_address(remote, forwarded, proxies) == expected
