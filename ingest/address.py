"""Which addresses the poller may connect to: the guard against server-side request forgery.

A feed URL, any redirect hop and a full-text article link are chosen by whoever writes the feed
(or controls its DNS): left alone, the poller would fetch the local Elasticsearch, the cloud
metadata service or an intranet page and publish what it read. Every connection is therefore
checked on the IP address it is actually made to (see :mod:`ingest.fetch`): host names are
resolved once, every resolved address is classified here, and the socket connects to the checked
address, so neither odd spellings (``http://2130706433/``, ``http://0x7f.1/``) nor DNS rebinding
get past.

By default only globally routable unicast addresses are allowed. ``allow_addresses`` (CIDRs and
host names) opens exceptions: the demo and the tests serve feeds on 127.0.0.1.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from diplowire.wire.settings import IPNetwork, allow_entry, normalize_host

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Forbidden(enum.StrEnum):
    """Why an address is refused (the value is what logs and feed errors show)."""

    LOOPBACK = "loopback"
    PRIVATE = "private"
    LINK_LOCAL = "link_local"
    CGNAT = "cgnat"
    MULTICAST = "multicast"
    UNSPECIFIED = "unspecified"
    METADATA = "metadata"
    RESERVED = "reserved"
    """Documentation, benchmarking, broadcast, future-use and other non-routable ranges."""


# Cloud instance metadata endpoints: credentials live there. Most are link-local or CGNAT anyway;
# they are named so that a refusal says what was at stake.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # "this host" on Linux: reaches localhost
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def classify(ip: IPAddress) -> Forbidden | None:
    """Why ``ip`` may not be connected to by default, or None for a public unicast address.

    IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``,
    6to4 ``2002::/16``, Teredo) are judged by the IPv4 address they lead to.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            return classify(inner)
        if ip.scope_id:  # fe80::1%eth0 and the like: interface-scoped, never public
            return Forbidden.LINK_LOCAL
    if ip in _METADATA:
        return Forbidden.METADATA
    if ip.is_unspecified or ip in _THIS_NETWORK:
        return Forbidden.UNSPECIFIED
    if ip.is_loopback:
        return Forbidden.LOOPBACK
    if ip.is_link_local:
        return Forbidden.LINK_LOCAL
    if ip.is_multicast:
        return Forbidden.MULTICAST
    if ip in _CGNAT:
        return Forbidden.CGNAT
    if isinstance(ip, ipaddress.IPv6Address) and (ip.is_site_local or ip in _NAT64_LOCAL):
        return Forbidden.PRIVATE
    if ip.is_reserved or any(ip in net for net in _SPECIAL):
        return Forbidden.RESERVED
    if ip.is_private:
        # ipaddress counts documentation and benchmarking ranges as private too: the RFC 1918
        # and ULA networks are what "private" means to an operator reading the refusal.
        if any(ip in net for net in _RFC1918_ULA):
            return Forbidden.PRIVATE
        return Forbidden.RESERVED
    if not ip.is_global:  # anything else IANA does not list as globally reachable
        return Forbidden.RESERVED
    return None


# Special-purpose ranges (RFC 6890 registry) named explicitly: ipaddress's own tables changed
# between Python releases (3.11 still calls 192.0.0.8 global).
_SPECIAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1, -2, -3)
        "198.51.100.0/24",
        "203.0.113.0/24",
        "198.18.0.0/15",  # benchmarking
        "240.0.0.0/4",  # future use, and 255.255.255.255
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo is unwrapped before this)
        "2001:db8::/32",  # documentation
    )
)
_RFC1918_ULA = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client the tunnel delivers to
    return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Connections the poller may make: public addresses, plus the explicit allow-list."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def from_allow(cls, entries: Iterable[str]) -> AddressPolicy:
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in entries:
            parsed = allow_entry(entry)
            if isinstance(parsed, str):
                hosts.add(parsed)
            else:
                networks.append(parsed)
        return cls(tuple(networks), frozenset(hosts))

    def host_allowed(self, host: str) -> bool:
        """An allow-listed host name may resolve to anything (the operator vouches for its DNS)."""
        return normalize_host(host) in self.hosts

    def refusal(self, ip: IPAddress) -> Forbidden | None:
        """Why connecting to ``ip`` is refused, or None when it is allowed."""
        reason = classify(ip)
        if reason is None:
            return None
        # ::ffff:127.0.0.1 is 127.0.0.1 on the wire: an IPv4 network allows its mapped form.
        candidates = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)
        if any(c.version == net.version and c in net for c in candidates for net in self.networks):
            return None
        return reason


DEFAULT_POLICY = AddressPolicy()
"""Nothing but public addresses: what a fetch without an explicit policy gets."""


@functools.lru_cache(maxsize=16)
def policy_for(allow: tuple[str, ...]) -> AddressPolicy:
    """The policy for a settings ``allow_addresses`` tuple (built once per distinct tuple)."""
    return AddressPolicy.from_allow(allow)
