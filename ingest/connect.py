"""Connections only to addresses the address policy allows, on the address that was checked.

http.client resolves and connects in one call (``socket.create_connection``); here the host is
resolved once, every address is checked (:mod:`ingest.address`), and the socket connects to the
checked sockaddr, so a DNS answer that changes between check and connect (rebinding) cannot
matter. The policy comes from :func:`policy_in_force`, set by :func:`ingest.fetch.fetch` for its
thread: urllib builds the connection objects itself and passes no context through.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from typing import Any

from diplowire.ingest.address import DEFAULT_POLICY, AddressPolicy
from diplowire.ingest.errors import ForbiddenAddress

_current = threading.local()


@contextlib.contextmanager
def policy_in_force(policy: AddressPolicy) -> Iterator[None]:
    """Connections made by this thread inside the block follow ``policy``."""
    _current.policy = policy
    try:
        yield
    finally:
        _current.policy = None


def resolve_checked(host: str, port: int, policy: AddressPolicy) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` results for ``host``, every one of them allowed by ``policy``.

    One forbidden address refuses the host, whatever the others are: an attacker's DNS answer
    mixing a public address with 127.0.0.1 must not depend on which one a connection tries first.
    """
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except UnicodeError as exc:  # an IDNA label too long or malformed: not resolvable
        raise socket.gaierror(f"bad host name {host!r}: {exc}") from None
    if policy.host_allowed(host):
        return infos
    for info in infos:
        address = str(info[4][0])
        reason = policy.refusal(ipaddress.ip_address(address))
        if reason is not None:
            raise ForbiddenAddress(host, address, reason)
    return infos


def connect_checked(
    address: tuple[str, int],
    timeout: object = None,
    source_address: tuple[str, int] | None = None,
    *,
    policy: AddressPolicy,
) -> socket.socket:
    """``socket.create_connection`` that connects only to addresses ``policy`` allows.

    The host is resolved once and the socket connects to the resolved, checked sockaddr: a
    second lookup (DNS rebinding) has no chance to return another address.
    """
    host, port = address
    last: OSError | None = None
    for family, type_, proto, _name, sockaddr in resolve_checked(host, port, policy):
        sock = socket.socket(family, type_, proto)
        try:
            # http.client passes socket's "global default" sentinel when no timeout was given.
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last or OSError(f"getaddrinfo returned no address for {host}")


def checked_create_connection(
    address: tuple[str, int],
    timeout: object = None,
    source_address: tuple[str, int] | None = None,
    *args: Any,
) -> socket.socket:
    """A drop-in for ``socket.create_connection`` under the policy in force on this thread.

    None in force means the strict default: a connection made outside fetch() fails closed.
    """
    policy = getattr(_current, "policy", None) or DEFAULT_POLICY
    return connect_checked(address, timeout, source_address, policy=policy)
