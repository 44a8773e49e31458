"""Every number is bounded where it enters: a clock change, a fixture document, a worker claim.

A value the emulated Quay cannot hold is a 400 (or a fixture problem naming its file and
entry), never an ``OverflowError`` 500 later. Quay's integer columns are PostgreSQL ``integer``
(``quay/quay`` ``data/database.py``: ``RepoMirrorConfig.sync_interval = IntegerField()``,
``sync_retries_remaining = IntegerField(default=3)``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from support.fuzz import bounded

from mockquay.app import create_app
from mockquay.cli import main
from mockquay.extension import emulator_of
from mockquay.fixtures.loader import FixtureError, apply_documents, bundled_default, read_documents
from mockquay.fixtures.schemas import SECTIONS, SettingsSchema, entry_schema
from mockquay.settings import Settings
from mockquay.store import Store

CLOCK = "/__mockquay__/clock"
SEED = "/__mockquay__/seed"
START = "2026-01-01T00:00:00Z"
RANGE = "the clock's range (1970-01-01T00:00:00Z to 9800-01-01T00:00:00Z)"
MIRROR = {
    "repository": "acme/etcd",
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 60,
    "sync_start_date": START,
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["*"]},
}
BOGUS_RULE = {**MIRROR, "root_rule": {"rule_kind": "bogus", "rule_value": ["*"]}}


def _client(clock_start: str = START):
    app = create_app(Settings(clock="manual", worker="off"))
    emulator_of(app).seed({"settings": {"clock": {"mode": "manual", "start": clock_start}}})
    return app.test_client()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"advance": 1e15}, f"'advance' 1000000000000000.0 is longer than {RANGE}"),
        ({"advance": 10**30}, f"'advance' {10**30} is longer than {RANGE}"),
        ({"advance": "P9999999999D"}, f"'advance' 'P9999999999D' is longer than {RANGE}"),
        ({"advance": "P99999999D"}, f"'advance' 'P99999999D' is longer than {RANGE}"),
        (
            {"advance": "P2850000D"},
            f"'advance' goes past {RANGE}: {START} plus 2850000 days, 0:00:00",
        ),
        ({"set": "9999-12-31T23:59:59Z"}, f"9999-12-31T23:59:59Z is outside {RANGE}"),
        ({"set": "9999-12-31T23:59:59-01:00"}, f"9999-12-31T23:59:59-01:00 is outside {RANGE}"),
        ({"set": "9800-01-01T00:00:01Z"}, f"9800-01-01T00:00:01Z is outside {RANGE}"),
    ],
)
def test_a_clock_change_past_the_range_is_400_and_leaves_the_clock(body, error):
    client = _client()
    response = client.post(CLOCK, json=body)
    assert (response.status_code, response.json) == (400, {"error": error})
    assert client.get(CLOCK).json == {"now": START, "mode": "manual"}


def test_the_clock_reaches_the_end_of_its_range_and_no_further():
    client = _client("9799-12-31T00:00:00Z")
    response = client.post(CLOCK, json={"advance": "P1D"})
    assert response.json == {"now": "9800-01-01T00:00:00Z", "mode": "manual"}
    response = client.post(CLOCK, json={"advance": 1})
    assert response.status_code == 400
    assert client.get(CLOCK).json["now"] == "9800-01-01T00:00:00Z"


def test_a_claim_past_the_clocks_range_is_400():
    response = _client().post(
        "/__mockquay__/worker/claim", json={"repository": "acme/etcd", "at": "9999-12-31T23:59:59Z"}
    )
    assert response.status_code == 400
    assert response.json == {"error": f"'at': 9999-12-31T23:59:59Z is outside {RANGE}"}


def test_a_mirror_starting_after_the_clocks_range_is_never_due():
    """Quay's API takes any ``sync_start_date`` up to 9999 (``endpoints/api/mirror.py``)."""
    app = create_app(Settings(clock="manual"))
    client = app.test_client()
    far = {**MIRROR, "sync_start_date": "9999-12-31T23:59:59Z"}
    assert client.post(SEED, json={"mirrors": [far]}).status_code == 200
    response = client.get("/__mockquay__/worker")
    assert (response.status_code, response.json["next_event"]) == (200, None)


def _tag(copy_seconds: Any) -> dict[str, Any]:
    return {
        "host": "quay.io",
        "repositories": {"coreos/etcd": {"tags": {"v1": {"copy_seconds": copy_seconds}}}},
    }


COPY_SECONDS = "copy_seconds must be a number of seconds, not negative"
SYNC_INTERVAL = "sync_interval must be an integer from 0 to 2147483647"
RETRIES = "sync_retries_remaining must be an integer from 0 to 3"
TIMEOUT = "skopeo_timeout_interval must be an integer from 300 to 2147483647"
INTERVAL = "interval must be a whole number of seconds from 1 to 86400"
REFUSED = [
    (
        {"registries": [_tag(math.nan)]},
        f"registries[0] (quay.io): repositories.coreos/etcd.tags.v1: {COPY_SECONDS}",
    ),
    (
        {"registries": [_tag(math.inf)]},
        f"registries[0] (quay.io): repositories.coreos/etcd.tags.v1: {COPY_SECONDS}",
    ),
    ({"mirrors": [{**MIRROR, "sync_interval": -1}]}, f"mirrors[0] (acme/etcd): {SYNC_INTERVAL}"),
    ({"mirrors": [{**MIRROR, "sync_interval": 2**31}]}, f"mirrors[0] (acme/etcd): {SYNC_INTERVAL}"),
    ({"mirrors": [{**MIRROR, "sync_retries_remaining": 4}]}, f"mirrors[0] (acme/etcd): {RETRIES}"),
    ({"mirrors": [{**MIRROR, "sync_retries_remaining": -1}]}, f"mirrors[0] (acme/etcd): {RETRIES}"),
    (
        {"mirrors": [{**MIRROR, "skopeo_timeout_interval": -300}]},
        f"mirrors[0] (acme/etcd): {TIMEOUT}",
    ),
    (
        {"mirrors": [BOGUS_RULE]},
        "mirrors[0] (acme/etcd): root_rule must be {rule_kind: tag_glob_csv, rule_value: [...]}",
    ),
    ({"settings": {"worker": {"interval": 0}}}, f"settings.worker: {INTERVAL}"),
    ({"settings": {"worker": {"interval": 10**12}}}, f"settings.worker: {INTERVAL}"),
    (
        {"settings": {"clock": {"start": "9999-12-31T00:00:00Z"}}},
        f"settings.clock: start: 9999-12-31T00:00:00Z is outside {RANGE}",
    ),
    (
        {"settings": {"clock": {"start": "0001-01-01T00:00:00+01:00"}}},
        f"settings.clock: start: 0001-01-01T00:00:00+01:00 is outside {RANGE}",
    ),
    (
        {"faults": [{"match": {"operation": "getRepoMirrorConfig"}, "delay_ms": math.nan}]},
        f"faults[0]: delay_ms: must be a number of milliseconds from 0 to {600_000}",
    ),
]


@pytest.mark.parametrize(("document", "problem"), REFUSED)
def test_a_seed_quay_cannot_hold_is_400_naming_the_entry(document, problem):
    client = _client()
    before = client.get("/__mockquay__/state").json
    response = client.post(
        SEED, data=json.dumps(document), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json == {
        "error": "invalid fixture document",
        "problems": [f"<seed>: {problem}"],
    }
    assert client.get("/__mockquay__/state").json == before


def test_check_fixtures_names_a_bad_root_rule_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"mirrors": [BOGUS_RULE]}))
    assert main(["check-fixtures", str(path)]) == 2
    assert capsys.readouterr().out == (
        f"{path}: mirrors[0] (acme/etcd): root_rule must be "
        "{rule_kind: tag_glob_csv, rule_value: [...]}\n"
    )


def _base_entries() -> dict[str, dict[str, Any]]:
    """A valid entry of each list section, from the bundled default."""
    ((_, document),) = read_documents([bundled_default()])
    return {
        section: entries[0]
        for section, entries in document.items()
        if isinstance(entries, list) and entries
    }


BASES = _base_entries()
ODD = st.sampled_from(
    [
        None,
        True,
        -1,
        0,
        2**31,
        10**30,
        1e308,
        math.nan,
        math.inf,
        "",
        "bogus",
        "{0}",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+01:00",
        [],
        {},
        ["*"],
        {"rule_kind": "bogus", "rule_value": ["*"]},
    ]
)


def _near(base: dict[str, Any], keys: Iterable[str] = ()) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` with up to three of its keys or ``keys`` odd; a mapping may be near in turn."""
    nested = [_near(value) for value in base.values() if isinstance(value, dict) and value]
    changes = st.dictionaries(
        st.sampled_from(sorted({*base, *keys})), st.one_of(ODD, *nested), max_size=3
    )
    return changes.map(lambda change: {**base, **change})


SETTINGS = {
    "profile": "latest",
    "clock": {"mode": "manual", "start": START},
    "worker": {"mode": "auto", "interval": 30},
}
DOCUMENTS = st.fixed_dictionaries(
    {},
    optional={
        "settings": _near(SETTINGS, SettingsSchema().fields) | ODD,
        **{
            section: st.lists(
                _near(BASES.get(section, {}), entry_schema(section).fields), max_size=2
            )
            | ODD
            for section in SECTIONS
            if section not in ("settings", "faults")
        },
    },
)
FUZZ = bounded(50)


@FUZZ
@given(DOCUMENTS)
@example({"mirrors": [BOGUS_RULE]})
@example({"registries": [_tag(math.nan)], "settings": {"worker": {"interval": 10**12}}})
def test_no_fixture_document_crashes_the_loader_or_seed(document):
    try:
        with Store().transaction() as tx:
            apply_documents(tx, [("doc.yaml", document)])
    except FixtureError as error:
        assert all(line.startswith("doc.yaml: ") for line in error.problems), error.problems
    client = _client()
    response = client.post(
        SEED, data=json.dumps(document), headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    for method, path, body in [
        ("GET", "/__mockquay__/worker", None),
        ("POST", CLOCK, {"advance": 60}),
        ("GET", "/api/v1/repository/acme/etcd/mirror", None),
    ]:
        answer = client.open(
            path, method=method, json=body, headers={"Authorization": "Bearer admin-token"}
        )
        assert answer.status_code < 500 or answer.headers.get("X-Mockquay-Emulated"), (
            method,
            path,
            answer.get_data(as_text=True),
        )
