"""Tests for mockquay.domain.references: Quay's external_reference format and SSRF checks.

Expected texts come from Quay's util/security/ssrf.py and its tests, and from the spec's §4.3
table and §7.1 rows 20-27.
"""

from __future__ import annotations

import pytest

from mockquay.domain.references import (
    GENERIC_BLOCK_MESSAGE,
    PUBLIC_ADDRESS,
    ReferenceRejected,
    check_external_reference,
    fixture_resolver,
)

REQUIRED = "External registry reference is required"
WHITESPACE = "External registry reference must not include whitespace"
SCHEME = "External registry reference must not include a URL scheme"
INVALID_CHARACTER = "External registry reference contains an invalid character"
NO_PATH = "External registry reference must include a repository path"
BAD_PORT = "External registry reference contains an invalid registry port"
BAD_AUTHORITY = "External registry reference contains an invalid registry authority"
BAD_HOSTNAME = "External registry reference must include a valid registry hostname"
LITERAL_BLOCKED = "URL points to a private or reserved IP address"
RESOLVES_BLOCKED = "URL resolves to a private or reserved IP address"

PUBLIC_DNS = fixture_resolver({})


def rejection(reference, *, resolver=PUBLIC_DNS, allowed_hosts=()) -> ReferenceRejected:
    with pytest.raises(ReferenceRejected) as caught:
        check_external_reference(reference, resolver=resolver, allowed_hosts=allowed_hosts)
    return caught.value


def assert_format_error(reference, message, **kwargs) -> None:
    error = rejection(reference, **kwargs)
    assert (error.message, error.blocked, error.reason) == (message, False, message)


def assert_blocked(reference, reason, **kwargs) -> None:
    error = rejection(reference, **kwargs)
    assert (error.message, error.blocked, error.reason) == (GENERIC_BLOCK_MESSAGE, True, reason)


def refuse_lookups(hostname: str) -> list[str]:
    raise AssertionError(f"resolver must not be called, got {hostname!r}")


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("\t\n", id="only-whitespace-characters"),
        pytest.param(None, id="none"),
        pytest.param(123, id="integer"),
        pytest.param(0, id="falsy-integer"),
        pytest.param(b"quay.io/foo", id="bytes"),
        pytest.param(["quay.io/foo"], id="list"),
    ],
)
def test_missing_or_non_string_reference_is_required(reference):
    assert_format_error(reference, REQUIRED)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param(" quay.io/foo", id="leading-space"),
        pytest.param("quay.io/foo ", id="trailing-space"),
        pytest.param("quay.io/foo\n", id="trailing-newline"),
        pytest.param("quay.io/foo bar", id="inner-space"),
        pytest.param("quay.io\t/foo", id="inner-tab"),
        pytest.param("quay.io/foo\u00a0bar", id="inner-no-break-space"),
    ],
)
def test_whitespace_anywhere_is_rejected(reference):
    assert_format_error(reference, WHITESPACE)


@pytest.mark.parametrize(
    "reference",
    ["https://quay.io/foo", "docker://quay.io/foo", "quay.io/foo://bar"],
)
def test_url_scheme_separator_anywhere_is_rejected(reference):
    assert_format_error(reference, SCHEME)


@pytest.mark.parametrize(
    "reference",
    ["quay.io/foo?tag=1", "quay.io/foo#frag", "quay.io\\foo", "quay.io/%2e%2e", "quay.io?#/foo"],
)
def test_query_fragment_backslash_and_percent_are_invalid_characters(reference):
    assert_format_error(reference, INVALID_CHARACTER)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("quay.io", id="no-slash"),
        pytest.param("quay.io/", id="empty-path"),
        pytest.param("/foo", id="empty-registry"),
        pytest.param("/", id="only-slash"),
        pytest.param("quay.io:99999", id="path-checked-before-port"),
    ],
)
def test_reference_without_registry_and_path_is_rejected(reference):
    assert_format_error(reference, NO_PATH)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("quay.io:/foo", id="empty-port"),
        pytest.param("quay.io:0/foo", id="port-zero"),
        pytest.param("quay.io:00/foo", id="port-zero-padded"),
        pytest.param("[2606:4700::1]:/foo", id="bracketed-empty-port"),
        pytest.param("[2606:4700::1]:0/foo", id="bracketed-port-zero"),
    ],
)
def test_empty_or_zero_port_is_an_invalid_port(reference):
    assert_format_error(reference, BAD_PORT)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("quay.io:5000:1/foo", id="two-colons"),
        pytest.param("2606:4700::1/foo", id="unbracketed-ipv6"),
        pytest.param("user:pw@quay.io:5000/foo", id="userinfo-and-port"),
        pytest.param("[2606:4700::1/foo", id="unclosed-bracket"),
        pytest.param("[2606:4700::1]x/foo", id="text-after-bracket"),
        pytest.param("[2606:4700::1]]/foo", id="double-closing-bracket"),
        pytest.param("[[::1]/foo", id="double-opening-bracket"),
        pytest.param("[]/foo", id="empty-brackets"),
        pytest.param("[127.0.0.1]/foo", id="ipv4-in-brackets"),
        pytest.param("[registry.example.com]/foo", id="name-in-brackets"),
        pytest.param("[vx.foo]/foo", id="malformed-ipvfuture"),
        pytest.param("quay]io/foo", id="stray-closing-bracket"),
        pytest.param("a[v1.x]/foo", id="text-before-bracket"),
        pytest.param("[::1]:@x/foo", id="userinfo-after-bracketed-host"),
        pytest.param("quay.io:abc/foo", id="non-numeric-port"),
        pytest.param("quay.io:+80/foo", id="signed-port"),
        pytest.param("quay.io:-1/foo", id="negative-port"),
        pytest.param("quay.io:\u0665/foo", id="non-ascii-digit-port"),
        pytest.param("quay.io:65536/foo", id="port-just-out-of-range"),
        pytest.param("quay.io:99999/foo", id="port-out-of-range"),
        pytest.param("[2606:4700::1]:5000:1/foo", id="bracketed-two-ports"),
        pytest.param("quay.io\uff20evil.com/foo", id="nfkc-at-sign"),
        pytest.param("quay.io\uff0fevil/foo", id="nfkc-slash"),
    ],
)
def test_malformed_authority_is_rejected(reference):
    assert_format_error(reference, BAD_AUTHORITY)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("user@quay.io/foo", id="username"),
        pytest.param("user:pw@quay.io/foo", id="username-and-password"),
        pytest.param(":pw@quay.io/foo", id="password-only"),
        pytest.param("quay.io@/foo", id="userinfo-without-host"),
        pytest.param(":5000/foo", id="port-without-host"),
        pytest.param("@/foo", id="empty-userinfo-without-host"),
        pytest.param("registry_1.example.com/foo", id="underscore"),
        pytest.param("-quay.io/foo", id="leading-dash"),
        pytest.param("quay-.io/foo", id="label-ends-with-dash"),
        pytest.param("quay.io./foo", id="trailing-dot"),
        pytest.param("quay..io/foo", id="empty-label"),
        pytest.param("x" * 64 + ".com/foo", id="label-longer-than-63"),
        pytest.param(".".join(["a" * 63] * 4)[:254] + "/foo", id="name-longer-than-253"),
        pytest.param("r\u00e9gistry.example.com/foo", id="non-ascii-name"),
        pytest.param("quay\uff0eio/foo", id="fullwidth-dot"),
        pytest.param("[v1.foo_bar]/foo", id="ipvfuture-with-invalid-name"),
    ],
)
def test_userinfo_or_invalid_hostname_is_rejected(reference):
    assert_format_error(reference, BAD_HOSTNAME)


@pytest.mark.parametrize(
    "reference",
    [
        "quay.io/foo",
        "quay.io:443/foo/bar",
        "8.8.8.8/foo",
        "[2606:4700::1]:5000/foo",
        "registry.example.com/team/repo",
        "quay.io/projectquay/quay",
        "quay.io/Team/Nested.Repository:Tag",
        "quay.io/team/repository@sha256:abc",
        "registry.example.com:5000/team/repository",
        "93.184.216.34/team/repository",
        "[2606:2800:220:1:248:1893:25c8:1946]/team/repository",
        "[2606:2800:220:1:248:1893:25c8:1946]:5000/team/repository",
        "quay.io:65535/foo",
        "QUAY.IO/foo",
        "x" * 63 + ".com/foo",
        ".".join(["a" * 63] * 4)[:253] + "/foo",
    ],
)
def test_well_formed_public_references_are_accepted(reference):
    check_external_reference(reference, resolver=PUBLIC_DNS)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("quay.io//", id="path-is-not-validated"),
        pytest.param("quay.io/../etc", id="dot-segments-in-path"),
        pytest.param("@quay.io/foo", id="empty-userinfo"),
        pytest.param(":@quay.io/foo", id="empty-username-and-password"),
        pytest.param("[v1.registry.example.com]/foo", id="ipvfuture-host-is-a-name"),
        pytest.param("@[v1.registry.example.com]/foo", id="ipvfuture-after-empty-userinfo"),
        pytest.param("\u212a.io/foo", id="kelvin-sign-lowercases-to-ascii"),
    ],
)
def test_quay_accepts_these_odd_but_parseable_references(reference):
    check_external_reference(reference, resolver=PUBLIC_DNS)


@pytest.mark.parametrize(
    ("reference", "hostname"),
    [
        ("localhost/foo", "localhost"),
        ("LOCALHOST/foo", "localhost"),
        ("localhost:5000/foo", "localhost"),
        ("metadata/foo", "metadata"),
        ("metadata.google.internal/foo", "metadata.google.internal"),
        ("metadata.azure.internal/foo", "metadata.azure.internal"),
        ("kubernetes/foo", "kubernetes"),
        ("kubernetes.default/foo", "kubernetes.default"),
        ("kubernetes.default.svc/foo", "kubernetes.default.svc"),
        ("kubernetes.default.svc.cluster.local/foo", "kubernetes.default.svc.cluster.local"),
        ("my-service.internal/foo", "my-service.internal"),
        ("Registry.Internal/foo", "registry.internal"),
        ("printer.local/foo", "printer.local"),
        ("[v1.printer.local]/foo", "v1.printer.local"),
    ],
)
def test_blocked_names_are_refused_even_when_they_resolve_publicly(reference, hostname):
    assert_blocked(reference, f"Hostname '{hostname}' is not allowed")


@pytest.mark.parametrize(
    "reference",
    [
        "internal/foo",
        "local/foo",
        "mylocalhost/foo",
        "localhost.example.com/foo",
        "registry.internal.example.com/foo",
        "registry.local.example.com/foo",
        "kubernetes.example.com/foo",
        "metadata.example.com/foo",
    ],
)
def test_names_only_resembling_blocked_names_are_accepted(reference):
    check_external_reference(reference, resolver=PUBLIC_DNS)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("10.0.0.1", id="rfc1918-10"),
        pytest.param("10.255.255.255", id="rfc1918-10-upper"),
        pytest.param("172.16.0.1", id="rfc1918-172"),
        pytest.param("172.31.255.255", id="rfc1918-172-upper"),
        pytest.param("192.168.0.1", id="rfc1918-192"),
        pytest.param("127.0.0.1", id="loopback"),
        pytest.param("127.0.0.2", id="loopback-range"),
        pytest.param("169.254.169.254", id="link-local-metadata"),
        pytest.param("169.254.0.1", id="link-local"),
        pytest.param("100.64.0.1", id="cgn"),
        pytest.param("0.0.0.0", id="this-host"),
        pytest.param("0.1.2.3", id="this-network"),
        pytest.param("192.0.0.9", id="ietf-protocol-assignments"),
        pytest.param("192.0.2.1", id="test-net-1"),
        pytest.param("198.51.100.1", id="test-net-2"),
        pytest.param("203.0.113.1", id="test-net-3"),
        pytest.param("198.18.0.1", id="benchmarking"),
        pytest.param("224.0.0.1", id="multicast"),
        pytest.param("239.255.255.250", id="multicast-upper"),
        pytest.param("240.0.0.1", id="reserved"),
        pytest.param("255.255.255.255", id="broadcast"),
        pytest.param("[::1]", id="ipv6-loopback"),
        pytest.param("[::]", id="ipv6-unspecified"),
        pytest.param("[fc00::1]", id="ipv6-ula-fc"),
        pytest.param("[fd00::1]", id="ipv6-ula-fd"),
        pytest.param("[fe80::1]", id="ipv6-link-local"),
        pytest.param("[fec0::1]", id="ipv6-site-local"),
        pytest.param("[ff02::1]", id="ipv6-multicast"),
        pytest.param("[64:ff9b::a9fe:a9fe]", id="nat64-metadata"),
        pytest.param("[64:ff9b::127.0.0.1]", id="nat64-loopback"),
        pytest.param("[64:ff9b::8.8.8.8]", id="nat64-public"),
        pytest.param("[64:ff9b:1::1]", id="nat64-local-use"),
        pytest.param("[::ffff:127.0.0.1]", id="ipv4-mapped-loopback"),
        pytest.param("[::ffff:169.254.169.254]", id="ipv4-mapped-metadata"),
        pytest.param("[::ffff:8.8.8.8]", id="ipv4-mapped-public"),
        pytest.param("[100::1]", id="discard-only"),
        pytest.param("[2001:db8::1]", id="ipv6-documentation"),
        pytest.param("[3fff::1]", id="ipv6-documentation-rfc9637"),
        pytest.param("[2001::1]", id="teredo"),
        pytest.param("[2002::1]", id="6to4"),
        pytest.param("[::1]:5000", id="ipv6-loopback-with-port"),
        pytest.param("10.0.0.1:5000", id="private-with-port"),
    ],
)
def test_non_global_ip_literals_are_blocked_without_dns(host):
    assert_blocked(f"{host}/project/repository", LITERAL_BLOCKED, resolver=refuse_lookups)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("8.8.8.8", id="public-ipv4"),
        pytest.param("[2606:4700::1]", id="public-ipv6"),
        pytest.param("[2001:4:112::1]", id="as112-exception-in-2001-23"),
        pytest.param("[2001:20::1]", id="orchidv2-exception-in-2001-23"),
        pytest.param("[::127.0.0.1]", id="deprecated-ipv4-compatible-form"),
    ],
)
def test_global_ip_literals_are_accepted_without_dns(host):
    check_external_reference(f"{host}/foo", resolver=refuse_lookups)


@pytest.mark.parametrize(
    "addresses",
    [
        pytest.param("10.0.0.1", id="private"),
        pytest.param("127.0.0.1", id="loopback"),
        pytest.param("169.254.169.254", id="metadata"),
        pytest.param([PUBLIC_ADDRESS, "10.0.0.1"], id="one-of-several-private"),
        pytest.param("fd00::1", id="ipv6-ula"),
        pytest.param("::", id="ipv6-unspecified"),
        pytest.param("::ffff:10.0.0.1", id="ipv4-mapped"),
        pytest.param("not-an-address", id="unparseable-answer"),
    ],
)
def test_name_resolving_to_a_blocked_address_is_blocked(addresses):
    resolver = fixture_resolver({"registry.example.com": addresses})
    assert_blocked("registry.example.com/team/repo", RESOLVES_BLOCKED, resolver=resolver)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("2130706433/foo", id="decimal"),
        pytest.param("0x7f.1/foo", id="hex-and-shorthand"),
        pytest.param("127.1/foo", id="shorthand"),
        pytest.param("017700000001/foo", id="octal"),
        pytest.param("1/foo", id="single-number-in-0-8"),
    ],
)
def test_numeric_names_resolve_like_getaddrinfo_and_are_blocked(reference):
    assert_blocked(reference, RESOLVES_BLOCKED)


def test_numeric_name_with_octal_part_resolves_to_public_address():
    # getaddrinfo reads "010" as octal 8, so this is 8.0.0.1.
    check_external_reference("010.0.0.1/foo", resolver=PUBLIC_DNS)


@pytest.mark.parametrize("answer", [None, []])
def test_unresolvable_name_reports_cannot_resolve(answer):
    resolver = fixture_resolver({"gone.example.com": answer})
    assert_format_error(
        "gone.example.com/foo", "Cannot resolve hostname 'gone.example.com'", resolver=resolver
    )


def test_cannot_resolve_message_uses_the_lowercased_hostname():
    resolver = fixture_resolver({"gone.example.com": None})
    assert_format_error(
        "Gone.Example.COM:5000/foo",
        "Cannot resolve hostname 'gone.example.com'",
        resolver=resolver,
    )


def test_unresolvable_blocked_name_reports_cannot_resolve_not_the_block():
    # With DNS on, Quay resolves before applying the blocked-name list.
    resolver = fixture_resolver({"localhost": None})
    assert_format_error("localhost/foo", "Cannot resolve hostname 'localhost'", resolver=resolver)


def test_allow_listed_name_must_still_resolve():
    resolver = fixture_resolver({"registry.corp": None})
    assert_format_error(
        "registry.corp/foo",
        "Cannot resolve hostname 'registry.corp'",
        resolver=resolver,
        allowed_hosts=["registry.corp"],
    )


def test_resolver_receives_the_lowercased_hostname_without_port():
    seen = []

    def resolver(hostname: str) -> list[str]:
        seen.append(hostname)
        return [PUBLIC_ADDRESS]

    check_external_reference("Registry.Example.com:5000/foo", resolver=resolver)
    assert seen == ["registry.example.com"]


def test_cidr_allow_list_admits_ip_literal_inside_it():
    check_external_reference(
        "10.0.0.1/team/repo", resolver=refuse_lookups, allowed_hosts=["10.0.0.0/8"]
    )


def test_single_address_allow_list_entry_admits_that_literal():
    check_external_reference("172.16.5.10/foo", resolver=PUBLIC_DNS, allowed_hosts=["172.16.5.10"])


def test_ipv6_cidr_allow_list_admits_ipv6_literal_inside_it():
    check_external_reference("[fd00::5]:5000/foo", resolver=PUBLIC_DNS, allowed_hosts=["fd00::/8"])


@pytest.mark.parametrize("allowed_hosts", [[], ["192.168.0.0/16"], ["10.0.0.0/8-typo"]])
def test_non_matching_allow_list_still_blocks_ip_literal(allowed_hosts):
    assert_blocked("10.0.0.1/team/repo", LITERAL_BLOCKED, allowed_hosts=allowed_hosts)


def test_cidr_allow_list_admits_name_resolving_inside_it():
    resolver = fixture_resolver({"internal-harbor.example.com": "192.168.1.100"})
    check_external_reference(
        "internal-harbor.example.com/foo", resolver=resolver, allowed_hosts=["192.168.0.0/16"]
    )


def test_cidr_allow_list_must_cover_every_blocked_address_of_a_name():
    resolver = fixture_resolver({"dual.example.com": ["10.0.0.1", "172.16.0.1"]})
    assert_blocked(
        "dual.example.com/foo", RESOLVES_BLOCKED, resolver=resolver, allowed_hosts=["10.0.0.0/8"]
    )


@pytest.mark.parametrize(
    ("name", "address", "cidr"),
    [
        ("registry.internal", "10.0.1.5", "10.0.0.0/8"),
        ("registry.local", "192.168.1.100", "192.168.0.0/16"),
        ("kubernetes", "10.0.0.50", "10.0.0.0/8"),
    ],
)
def test_cidr_allow_list_admits_blocked_name_resolving_inside_it(name, address, cidr):
    resolver = fixture_resolver({name: address})
    check_external_reference(f"{name}/foo", resolver=resolver, allowed_hosts=[cidr])


def test_cidr_allow_list_does_not_admit_blocked_name_resolving_outside_it():
    resolver = fixture_resolver({"registry.internal": "10.0.1.5"})
    assert_blocked(
        "registry.internal/foo",
        "Hostname 'registry.internal' is not allowed",
        resolver=resolver,
        allowed_hosts=["192.168.0.0/16"],
    )


def test_cidr_allow_list_does_not_admit_blocked_name_resolving_publicly():
    assert_blocked(
        "registry.internal/foo",
        "Hostname 'registry.internal' is not allowed",
        allowed_hosts=["10.0.0.0/8"],
    )


def test_hostname_allow_list_entry_admits_name_resolving_to_private_address():
    resolver = fixture_resolver({"registry.corp": "10.1.1.1"})
    check_external_reference(
        "registry.corp/foo", resolver=resolver, allowed_hosts=["REGISTRY.corp"]
    )


@pytest.mark.parametrize("resolver", [PUBLIC_DNS, None], ids=["with-dns", "without-dns"])
def test_hostname_allow_list_entry_admits_blocked_name(resolver):
    check_external_reference("LocalHost/foo", resolver=resolver, allowed_hosts=["localhost"])


def test_hostname_allow_list_entry_does_not_admit_other_hosts():
    resolver = fixture_resolver({"registry.corp": "10.1.1.1"})
    assert_blocked(
        "registry.corp/foo", RESOLVES_BLOCKED, resolver=resolver, allowed_hosts=["other.corp"]
    )


def test_allow_list_does_not_bypass_format_checks():
    assert_format_error("https://10.0.0.1/foo", SCHEME, allowed_hosts=["10.0.0.0/8"])
    assert_format_error("user@10.0.0.1/foo", BAD_HOSTNAME, allowed_hosts=["10.0.0.0/8"])


def test_without_resolver_names_are_not_resolved():
    check_external_reference("registry.example.com/team/repo", resolver=None)


def test_without_resolver_blocked_names_are_refused():
    assert_blocked(
        "kubernetes.default.svc/foo",
        "Hostname 'kubernetes.default.svc' is not allowed",
        resolver=None,
    )


def test_without_resolver_cidr_allow_list_cannot_admit_blocked_name():
    assert_blocked(
        "registry.internal/foo",
        "Hostname 'registry.internal' is not allowed",
        resolver=None,
        allowed_hosts=["10.0.0.0/8"],
    )


def test_without_resolver_ip_literals_are_still_checked():
    assert_blocked("169.254.169.254/latest/meta-data", LITERAL_BLOCKED, resolver=None)
    check_external_reference("10.0.0.1/foo", resolver=None, allowed_hosts=["10.0.0.0/8"])


def test_without_resolver_format_errors_are_unchanged():
    assert_format_error("example.com", NO_PATH, resolver=None)
    assert_format_error("", REQUIRED, resolver=None)


def test_spec_row_20_metadata_address_is_blocked():
    assert_blocked("169.254.169.254/latest/meta-data", LITERAL_BLOCKED)


def test_spec_row_21_name_resolving_to_private_address_is_blocked():
    resolver = fixture_resolver({"registry.example.com": "10.0.0.1"})
    assert_blocked("registry.example.com/team/repo", RESOLVES_BLOCKED, resolver=resolver)


def test_spec_rows_22_and_27_allow_listed_private_literal_is_accepted():
    check_external_reference(
        "10.0.0.1/team/repo", resolver=PUBLIC_DNS, allowed_hosts=["10.0.0.0/8"]
    )


def test_spec_rows_23_and_24_public_reference_is_accepted():
    check_external_reference("quay.io/team/repo", resolver=PUBLIC_DNS)


def test_spec_row_25_private_literal_is_blocked():
    assert_blocked("10.0.0.1/team/repo", LITERAL_BLOCKED)


def test_spec_row_26_reference_passes_so_the_date_check_decides():
    check_external_reference("registry.example.com/team/repo", resolver=PUBLIC_DNS)


def test_spec_section_7_2_example_com_without_path_is_rejected():
    assert_format_error("example.com", NO_PATH)
    check_external_reference("example.com/foo/bar", resolver=PUBLIC_DNS)


def test_fixture_resolver_returns_table_answers_case_insensitively():
    resolver = fixture_resolver(
        {"Registry.Example.com": ["10.0.0.1", "fd00::1"], "one.test": "1.1.1.1"}
    )
    assert resolver("REGISTRY.example.COM") == ["10.0.0.1", "fd00::1"]
    assert resolver("one.test") == ["1.1.1.1"]


@pytest.mark.parametrize("answer", [None, []])
def test_fixture_resolver_raises_lookup_error_for_names_that_do_not_resolve(answer):
    resolver = fixture_resolver({"gone.test": answer})
    with pytest.raises(LookupError):
        resolver("GONE.test")


def test_fixture_resolver_sends_unknown_names_to_the_public_address():
    assert fixture_resolver({})("anything.example.com") == [PUBLIC_ADDRESS]


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0X7F.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.2", "10.1.0.2"),
        ("017700000001", "127.0.0.1"),
        ("8.8.8.8", "8.8.8.8"),
        ("::1", "::1"),
    ],
)
def test_fixture_resolver_reads_numeric_hosts_like_getaddrinfo(name, address):
    assert fixture_resolver({})(name) == [address]


@pytest.mark.parametrize("name", ["08.1", "0x", "1.2.3.4.5", "4294967296", "256.1", "1.16777216"])
def test_fixture_resolver_treats_invalid_numeric_forms_as_names(name):
    assert fixture_resolver({})(name) == [PUBLIC_ADDRESS]


def test_fixture_resolver_table_overrides_numeric_reading():
    assert fixture_resolver({"127.1": "8.8.4.4"})("127.1") == ["8.8.4.4"]


def test_reference_rejected_is_a_value_error_whose_text_is_the_api_detail():
    error = rejection("localhost/foo")
    assert isinstance(error, ValueError)
    assert str(error) == GENERIC_BLOCK_MESSAGE
    assert error.reason == "Hostname 'localhost' is not allowed"
