"""Validation of a mirror's ``external_reference``, as Quay's API applies it.

Reproduces ``validate_external_registry_reference`` and ``validate_external_registry_url`` in
Quay's ``util/security/ssrf.py`` (no proxy configuration): the format checks, the blocked-name
list, the blocked address ranges and the ``SSRF_ALLOWED_HOSTS`` bypass. DNS goes through a
pluggable resolver, so mockquay never looks a name up.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Callable, Union
from urllib.parse import urlparse

GENERIC_BLOCK_MESSAGE = "The provided registry location is not allowed"
PUBLIC_ADDRESS = "93.184.216.34"

# Hostname -> IP address strings; raises LookupError when the name does not resolve.
Resolver = Callable[[str], list[str]]

_IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

_REQUIRED = "External registry reference is required"
_WHITESPACE = "External registry reference must not include whitespace"
_SCHEME = "External registry reference must not include a URL scheme"
_INVALID_CHARACTER = "External registry reference contains an invalid character"
_NO_PATH = "External registry reference must include a repository path"
_BAD_PORT = "External registry reference contains an invalid registry port"
_BAD_AUTHORITY = "External registry reference contains an invalid registry authority"
_BAD_HOSTNAME = "External registry reference must include a valid registry hostname"

_LITERAL_BLOCKED = "URL points to a private or reserved IP address"
_RESOLVES_BLOCKED = "URL resolves to a private or reserved IP address"

_BLOCKED_HOSTNAMES = frozenset(
    {
        "localhost",
        "metadata",
        "metadata.google.internal",
        "metadata.azure.internal",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    }
)
_BLOCKED_SUFFIXES = (".internal", ".local")

# Quay's BLOCKED_NETWORKS, plus what Quay additionally rejects through `not ip.is_global`,
# `is_multicast` and `is_site_local`. Those flags are spelled out here as CPython 3.12 (Quay's
# runtime, with the CVE-2024-4032 and RFC 9637 updates) computes them, so the decision does not
# depend on the Python version running mockquay. For IPv4 Quay's list already covers them.
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "::1/128",
        "64:ff9b::/96",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "::ffff:0:0/96",
        # Not in Quay's list, but not global, multicast or site-local for CPython:
        "::/128",
        "64:ff9b:1::/48",
        "2002::/16",
        "3fff::/20",
        "fec0::/10",
        "ff00::/8",
    )
)
_IETF_PROTOCOL_ASSIGNMENTS = ipaddress.ip_network("2001::/23")
# Parts of 2001::/23 that CPython counts as globally reachable (AS112-v6, ORCHIDv2, ...).
_IETF_GLOBAL_EXCEPTIONS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "2001:1::1/128",
        "2001:1::2/128",
        "2001:3::/32",
        "2001:4:112::/48",
        "2001:20::/28",
        "2001:30::/28",
    )
)

_HOSTNAME_RE = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_IPVFUTURE_RE = re.compile(r"v[a-fA-F0-9]+\..+")
_INET_ATON_PART_RE = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")


class ReferenceRejected(ValueError):
    """Quay's API would refuse the reference.

    `message` is the exact `detail` text of Quay's 400 answer: the generic block message for
    SSRF blocks, the specific text for format errors. `blocked` is True for SSRF blocks.
    `reason` is the text Quay's validator raised, which its data-model layer reports as is
    (e.g. ``Hostname 'localhost' is not allowed``); it equals `message` for format errors.
    """

    def __init__(self, message: str, *, blocked: bool = False, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.blocked = blocked
        self.reason = message if reason is None else reason


def fixture_resolver(answers: Mapping[str, str | list[str] | None]) -> Resolver:
    """Resolver backed by a fixture's `dns:` table (case-insensitive names).

    A name mapped to None (or an empty list) does not resolve; a name not in the table resolves
    to PUBLIC_ADDRESS, except numeric forms, which resolve the way glibc's getaddrinfo reads them
    (``127.1``, ``0x7f.0.0.1``, ``2130706433`` -> 127.0.0.1; IPv6 literals to themselves).
    """
    table = {name.lower(): _as_address_list(value) for name, value in answers.items()}

    def resolve(hostname: str) -> list[str]:
        key = hostname.lower()
        if key in table:
            if not table[key]:
                raise LookupError(hostname)
            return list(table[key])
        return [_numeric_host(key) or PUBLIC_ADDRESS]

    return resolve


def check_external_reference(
    reference: object,
    *,
    resolver: Resolver | None,
    allowed_hosts: Sequence[str] = (),
) -> None:
    """Raise ReferenceRejected when Quay's API would refuse `reference`.

    resolver=None means no DNS resolution (Quay's model-level re-check): names are then only
    checked against the blocked-name list. `allowed_hosts` are Quay's SSRF_ALLOWED_HOSTS entries,
    hostnames (case-insensitive) or CIDRs. A hostname entry exempts that host; a CIDR entry exempts
    an IP literal inside it, or a name whose resolved addresses are inside it. A resolved name is
    still resolved when allow-listed, so an unresolvable one is refused.
    """
    hostname = _registry_hostname(reference)
    _check_destination(hostname, resolver, list(allowed_hosts or ()))


def check_external_url(
    url: object, *, resolver: Resolver | None, allowed_hosts: Sequence[str] = ()
) -> None:
    """Raise ReferenceRejected when Quay's ``validate_external_registry_url`` refuses ``url``
    (an org mirror's ``external_registry_url``): its format checks, then the same SSRF
    decision as :func:`check_external_reference` (``blocked`` set for an SSRF block)."""
    if not isinstance(url, str) or not url.strip():
        raise ReferenceRejected("External registry URL is required")
    try:
        parsed = urlparse(url.strip())
    except ValueError:
        raise ReferenceRejected("Invalid URL format") from None
    if parsed.scheme not in ("http", "https"):
        raise ReferenceRejected(
            f"Invalid URL scheme '{parsed.scheme}': only HTTP and HTTPS are allowed"
        )
    if parsed.username or parsed.password:
        raise ReferenceRejected("URLs with embedded credentials are not allowed")
    if not parsed.hostname:
        raise ReferenceRejected("URL must include a hostname")
    _check_destination(parsed.hostname, resolver, list(allowed_hosts or ()))


def _registry_hostname(reference: object) -> str:
    """Apply Quay's format checks in Quay's order; return the registry's lowercased hostname."""
    if not isinstance(reference, str) or not reference.strip():
        raise ReferenceRejected(_REQUIRED)
    if reference != reference.strip() or any(char.isspace() for char in reference):
        raise ReferenceRejected(_WHITESPACE)
    if "://" in reference:
        raise ReferenceRejected(_SCHEME)
    if any(char in reference for char in "?#\\%"):
        raise ReferenceRejected(_INVALID_CHARACTER)
    registry, slash, path = reference.partition("/")
    if not (slash and registry and path):
        raise ReferenceRejected(_NO_PATH)

    if registry.startswith("["):
        end = registry.find("]")
        after_bracket = registry[end + 1 :]
        if end < 0 or (after_bracket and not after_bracket.startswith(":")):
            raise ReferenceRejected(_BAD_AUTHORITY)
        if after_bracket == ":":
            raise ReferenceRejected(_BAD_PORT)
    elif registry.count(":") > 1:
        raise ReferenceRejected(_BAD_AUTHORITY)
    elif registry.endswith(":"):
        raise ReferenceRejected(_BAD_PORT)

    # From here Quay reads the authority with urlparse("https://" + registry); its ValueErrors
    # (bracket misuse, NFKC tricks, bad port) all become the authority message.
    if not _urlsplit_accepts(registry):
        raise ReferenceRejected(_BAD_AUTHORITY)
    userinfo, _, hostinfo = registry.rpartition("@")
    if hostinfo.startswith("["):
        host, _, after_bracket = hostinfo[1:].partition("]")
        port = after_bracket.partition(":")[2]
    else:
        host, _, port = hostinfo.partition(":")
    if port and not (port.isdigit() and port.isascii() and int(port) <= 65535):
        raise ReferenceRejected(_BAD_AUTHORITY)

    # An empty userinfo ("@quay.io") passes: Quay tests the parts for truthiness.
    username, _, password = userinfo.partition(":")
    if username or password or not host:
        raise ReferenceRejected(_BAD_HOSTNAME)
    if port and int(port) == 0:
        raise ReferenceRejected(_BAD_PORT)

    hostname = host.lower()
    if _parse_ip(hostname) is None and (
        hostname.endswith(".") or not _HOSTNAME_RE.fullmatch(hostname)
    ):
        raise ReferenceRejected(_BAD_HOSTNAME)
    return hostname


def _urlsplit_accepts(netloc: str) -> bool:
    """Whether Python 3.12's urlsplit (with the CVE-2025-0938 fix) accepts this netloc."""
    if ("[" in netloc) != ("]" in netloc):
        return False
    if "[" in netloc:
        hostinfo = netloc.rpartition("@")[2]
        before, bracket, rest = hostinfo.partition("[")
        if bracket:
            host, _, after = rest.partition("]")
            if before or (after and not after.startswith(":")):
                return False
        else:
            host = hostinfo.partition(":")[0]
        if host.startswith("v"):
            if not _IPVFUTURE_RE.fullmatch(host):
                return False
        elif not isinstance(_parse_ip(host), ipaddress.IPv6Address):
            return False
    if not netloc.isascii():
        # Characters that NFKC-normalise into URL delimiters (e.g. a fullwidth "@").
        stripped = netloc.replace("@", "").replace(":", "").replace("#", "").replace("?", "")
        normalised = unicodedata.normalize("NFKC", stripped)
        if normalised != stripped and any(char in normalised for char in "/?#@:"):
            return False
    return True


def _check_destination(hostname: str, resolver: Resolver | None, allowed_hosts: list[str]) -> None:
    """Quay's SSRF decision for an already well-formed registry hostname."""
    blocked_by_name = hostname in _BLOCKED_HOSTNAMES or hostname.endswith(_BLOCKED_SUFFIXES)
    name_allowed = _is_allowed(hostname, None, allowed_hosts)
    if blocked_by_name and not name_allowed and resolver is None:
        raise _blocked(f"Hostname '{hostname}' is not allowed")

    if _parse_ip(hostname) is not None:
        if _is_blocked_address(hostname) and not _is_allowed(hostname, hostname, allowed_hosts):
            raise _blocked(_LITERAL_BLOCKED)
        return
    if resolver is None:
        return

    try:
        addresses = [str(address) for address in resolver(hostname)]
    except LookupError:
        addresses = []
    if not addresses:
        raise ReferenceRejected(f"Cannot resolve hostname '{hostname}'")

    # With DNS, a blocked name only passes when one of its addresses is inside an allowed CIDR.
    if blocked_by_name and not name_allowed:
        if not any(_is_allowed(hostname, address, allowed_hosts) for address in addresses):
            raise _blocked(f"Hostname '{hostname}' is not allowed")
    for address in addresses:
        if _is_blocked_address(address) and not _is_allowed(hostname, address, allowed_hosts):
            raise _blocked(_RESOLVES_BLOCKED)


def _is_allowed(hostname: str, address: str | None, allowed_hosts: list[str]) -> bool:
    """Quay's `_is_allowed`: a CIDR entry matches the address or an IP-literal hostname;
    any other entry matches the hostname case-insensitively."""
    for entry in allowed_hosts:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if entry.lower() == hostname.lower():
                return True
            continue
        for candidate in (address, hostname):
            ip = _parse_ip(candidate) if candidate else None
            if ip is not None and ip in network:
                return True
    return False


def _is_blocked_address(text: str) -> bool:
    """Whether Quay refuses to connect to this address; unparseable text counts as blocked."""
    ip = _parse_ip(text)
    if ip is None:
        return True
    if any(ip in network for network in _BLOCKED_NETWORKS):
        return True
    return ip in _IETF_PROTOCOL_ASSIGNMENTS and not any(
        ip in network for network in _IETF_GLOBAL_EXCEPTIONS
    )


def _blocked(reason: str) -> ReferenceRejected:
    return ReferenceRejected(GENERIC_BLOCK_MESSAGE, blocked=True, reason=reason)


def _parse_ip(text: str) -> _IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _as_address_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(address) for address in value]


def _numeric_host(name: str) -> str | None:
    """The address getaddrinfo reads from a numeric host (inet_aton forms, IPv6), else None."""
    ip = _parse_ip(name)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ip)
    parts = name.split(".")
    if not 1 <= len(parts) <= 4 or not all(_INET_ATON_PART_RE.fullmatch(p) for p in parts):
        return None
    values = [_inet_aton_value(part) for part in parts]
    # Leading parts are single bytes; the last one fills the remaining bytes.
    last_limit = (1 << (8 * (5 - len(parts)))) - 1
    if any(value > 0xFF for value in values[:-1]) or values[-1] > last_limit:
        return None
    number = values[-1]
    for index, value in enumerate(values[:-1]):
        number |= value << (24 - 8 * index)
    return str(ipaddress.IPv4Address(number))


def _inet_aton_value(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:], 16)
    if part.startswith("0"):
        return int(part, 8)
    return int(part)
