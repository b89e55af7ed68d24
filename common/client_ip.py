"""Who is the client? The address rule behind `TRUSTED_PROXIES` (SPEC §0), as pure functions.

`X-Forwarded-For` is written by whoever sends the request: a client talking to us directly can put
any address in it. Only the entries appended by proxies we run can be believed, so the rule is:

* `TRUSTED_PROXIES` unset (or `0`): the client is the socket peer (`REMOTE_ADDR`); the header is
  ignored.
* a number N (the proxies in front, e.g. `1` for the HAProxy of `make cluster` and compose): each
  proxy appends the address it received the connection from, so the client is the N-th entry from
  the right; entries to the left of it were written by the client and are ignored. With fewer than N
  entries the leftmost is used (a request that skipped an outer proxy; the count is then wrong).
* a comma-separated list of proxy addresses or networks (`10.0.0.0/8, 192.0.2.7`): if the peer is
  one of them, walk the header from the right past every trusted address; the first other address
  is the client. A peer that is not in the list is the client, whatever the header says.

An entry that is not an IP address (garbage, `unknown`, an obfuscated name) ends the walk: the
client is then the last address we can vouch for (the peer, or the nearest trusted proxy's
report). Addresses come back in one canonical text form: IPv6 compressed, IPv4-mapped IPv6 as
IPv4, ports and brackets (`[2001:db8::1]:443`, `198.51.100.4:5000`) removed, so one client gets one
throttle bucket however a proxy wrote it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    """A parsed `TRUSTED_PROXIES`: a count of proxies in front, or the networks they live in."""

    count: int = 0
    networks: tuple[Network, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.count > 0 or bool(self.networks)

    def trusts(self, address: Address) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)


@lru_cache(maxsize=16)
def parse_trusted_proxies(raw: str | int | None) -> TrustedProxies:
    """`TRUSTED_PROXIES` as set in the environment. Raises ValueError with the offending part."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return TrustedProxies()
    if text.isdigit():
        return TrustedProxies(count=int(text))
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES: {part!r} is neither a number of proxies nor an IP address or network"
            ) from None
    return TrustedProxies(networks=tuple(networks))


def parse_address(text: str | None) -> Address | None:
    """An address as it appears in REMOTE_ADDR or one X-Forwarded-For entry; None if it isn't one."""
    if not text:
        return None
    value = text.strip().strip('"')
    if value.startswith("["):  # [v6] or [v6]:port
        end = value.find("]")
        if end < 0:
            return None
        value = value[1:end]
    elif value.count(":") == 1:  # v4:port (a v6 address has at least two colons)
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]  # an IPv6 zone id (fe80::1%eth0) names no other host
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_ip(remote_addr: str | None, forwarded_for: str | None, trusted: TrustedProxies) -> str:
    """The client's address under `trusted`, in canonical form.

    `remote_addr` is the socket peer the ASGI server reports; `forwarded_for` is the
    X-Forwarded-For header as received (several header lines joined with commas). When the peer
    itself is not an address (a Unix socket, a test client), it is returned as given.
    """
    peer = parse_address(remote_addr)
    fallback = str(peer) if peer is not None else (remote_addr or "")
    if not trusted.enabled or not forwarded_for:
        return fallback
    hops = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    if not hops:
        return fallback
    if trusted.count:
        # Each of our N proxies appended the address its connection came from: the last N entries
        # are theirs, and the leftmost of them is the client as the outermost proxy saw it.
        nearest = peer
        for entry in reversed(hops[-trusted.count :]):
            address = parse_address(entry)
            if address is None:
                break
            nearest = address
        return str(nearest) if nearest is not None else fallback
    if peer is None or not trusted.trusts(peer):
        return fallback
    nearest = peer
    for entry in reversed(hops):
        address = parse_address(entry)
        if address is None:
            return str(nearest)
        if not trusted.trusts(address):
            return str(address)
        nearest = address
    return str(nearest)  # every hop is one of ours: the leftmost is as far as anyone can see
