"""Fixture documents: reading, checking, applying all-or-nothing, exporting, the CLI check."""

from __future__ import annotations

import json

import pytest
import yaml
from support.world import MIRROR_ENTRY

from mockquay.cli import main
from mockquay.fixtures.loader import (
    FixtureError,
    apply_document,
    bundled_default,
    export_state,
    read_documents,
)
from mockquay.store import Store

ORG = {
    "users": [{"username": "alice"}, {"username": "bob"}],
    "organizations": [
        {"name": "acme", "teams": {"owners": {"role": "admin", "members": ["alice"]}}}
    ],
    "robots": [{"name": "acme+mirrorbot"}],
    "repositories": [{"name": "acme/app", "permissions": {"bob": "write"}}],
    "tokens": [{"token": "alice-token", "user": "alice", "scopes": ["repo:admin"]}],
}


def apply(*documents):
    store = Store()
    with store.transaction() as tx:
        for document in documents:
            apply_document(tx, document, "doc.yaml")
    return store


def problems_of(document) -> list[str]:
    with pytest.raises(FixtureError) as raised:
        apply(document)
    return raised.value.problems


def test_bundled_default_fixtures_apply_cleanly():
    ((source, document),) = read_documents([bundled_default()])
    store = apply(document)
    with store.transaction() as tx:
        assert tx.get("tokens", "admin-token")["user"] == "admin"
        assert tx.get("mirrors", "acme/etcd")["external_reference"] == "quay.io/coreos/etcd"
        assert tx.get("repositories", "acme/etcd")["state"] == "MIRROR"
        assert tx.get("mirrors", "acme/app") is None


def test_yaml_and_json_files_and_folders_are_read_in_sorted_order(tmp_path):
    folder = tmp_path / "fixtures"
    folder.mkdir()
    (folder / "b.json").write_text(json.dumps({"users": [{"username": "b"}]}))
    (folder / "a.yaml").write_text(yaml.safe_dump({"users": [{"username": "a"}]}))
    (folder / "notes.txt").write_text("ignored")
    documents = read_documents([folder])
    assert [source.rsplit("/", 1)[1] for source, _ in documents] == ["a.yaml", "b.json"]


def test_an_unreadable_file_is_named(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("users: [unclosed")
    with pytest.raises(FixtureError) as raised:
        read_documents([broken])
    assert raised.value.problems[0].startswith(f"{broken}: cannot read: ")


def test_mirror_marks_repository_mirror_and_grants_robot_write():
    store = apply(
        ORG,
        {
            "mirrors": [
                {
                    "repository": "acme/app",
                    "external_reference": "quay.io/coreos/etcd",
                    "sync_interval": 60,
                    "sync_start_date": "2026-01-01T00:00:00Z",
                    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
                    "robot_username": "acme+mirrorbot",
                }
            ]
        },
    )
    with store.transaction() as tx:
        repo = tx.get("repositories", "acme/app")
        mirror = tx.get("mirrors", "acme/app")
    assert repo["state"] == "MIRROR"
    assert repo["permissions"] == {"bob": "write", "acme+mirrorbot": "write"}
    assert mirror["sync_status"] == "NEVER_RUN"
    assert mirror["sync_retries_remaining"] == 3
    assert mirror["sync_start_date"] == "2026-01-01T00:00:00"


def test_yaml_timestamps_are_accepted_as_mirror_dates():
    document = yaml.safe_load(
        """
mirrors:
  - repository: acme/app
    external_reference: quay.io/x/y
    sync_interval: 60
    sync_start_date: 2026-01-01T10:00:00Z
    root_rule: {rule_kind: tag_glob_csv, rule_value: [latest]}
"""
    )
    store = apply(ORG, document)
    with store.transaction() as tx:
        assert tx.get("mirrors", "acme/app")["sync_start_date"] == "2026-01-01T10:00:00"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"unicorns": []}, "doc.yaml: unicorns: unknown section"),
        ({"users": {"username": "x"}}, "doc.yaml: users: must be a list"),
        ({"users": [{"username": "a", "age": 3}]}, "doc.yaml: users[0]: unknown key(s): age"),
        ({"users": [{"email": "x@y"}]}, "doc.yaml: users[0]: 'username' is required"),
        ({"robots": [{"name": "nobody+bot"}]}, "doc.yaml: robots[0]: namespace 'nobody'"),
        ({"robots": [{"name": "plainname"}]}, "doc.yaml: robots[0]: robot name 'plainname'"),
        ({"repositories": [{"name": "ghost/app"}]}, "doc.yaml: repositories[0]: namespace"),
        ({"repositories": [{"name": "noslash"}]}, "doc.yaml: repositories[0]: repository name"),
        ({"tokens": [{"token": "t", "user": "ghost"}]}, "doc.yaml: tokens[0]: unknown user"),
        (
            {
                "organizations": [
                    {"name": "o", "teams": {"owners": {"role": "admin", "members": ["o+ghost"]}}}
                ]
            },
            "doc.yaml: organizations[0].teams.owners: unknown robot 'o+ghost' of 'o'",
        ),
        (
            {
                "users": [{"username": "u"}],
                "organizations": [
                    {"name": "o", "teams": {"owners": {"role": "admin", "members": ["u+bot"]}}}
                ],
                "robots": [{"name": "u+bot"}],
            },
            "doc.yaml: organizations[0].teams.owners: unknown robot 'u+bot' of 'o'",
        ),
        ({"settings": {"profile": "2.0"}}, "doc.yaml: settings.profile: unknown Quay profile"),
        ({"settings": {"features": {"NOPE": True}}}, "doc.yaml: settings.features: unknown"),
        ({"settings": {"colour": "red"}}, "doc.yaml: settings.colour: unknown setting"),
        ({"mirrors": [{"repository": "acme/app"}]}, "doc.yaml: mirrors[0]: missing key(s)"),
        (
            {
                "users": [{"username": "acme"}],
                "repositories": [{"name": "acme/app", "team_permissions": {"owners": "read"}}],
            },
            "doc.yaml: repositories[0]: permission for unknown team 'owners' of 'acme'",
        ),
        (
            {"repositories": [{"name": "acme/app", "team_permissions": {"owners": "owner"}}]},
            "doc.yaml: repositories[0]: permission of 'owners' must be read,",
        ),
    ],
)
def test_problems_name_the_file_the_entry_and_the_problem(document, problem):
    problems = problems_of(document)
    assert any(line.startswith(problem) for line in problems), problems


def test_an_invalid_document_changes_nothing():
    store = apply(ORG)
    before = store.snapshot()
    with pytest.raises(FixtureError), store.transaction() as tx:
        apply_document(
            tx,
            {"users": [{"username": "carol"}], "tokens": [{"token": "t", "user": "ghost"}]},
            "bad.yaml",
        )
    assert store.snapshot() == before


def test_every_problem_is_reported_at_once():
    problems = problems_of(
        {"users": [{"username": 5}], "repositories": [{"name": "ghost/app"}, {"name": "x"}]}
    )
    assert len(problems) == 3


def test_export_round_trips_through_apply():
    store = apply(read_documents([bundled_default()])[0][1])
    with store.transaction() as tx:
        exported = export_state(tx)
    again = apply(json.loads(json.dumps(exported)))
    with again.transaction() as tx:
        assert export_state(tx) == exported


def test_a_robot_of_the_organization_may_be_a_team_member_and_round_trips():
    """Quay's ``TeamMember`` rows hold robots too (``endpoints/api/team.py``
    ``updateOrganizationTeamMember`` takes one); robots come after organizations in a
    document, so the check waits for them."""
    document = {
        **ORG,
        "organizations": [
            {
                "name": "acme",
                "teams": {"owners": {"role": "admin", "members": ["alice", "acme+mirrorbot"]}},
            }
        ],
    }
    with apply(document).transaction() as tx:
        exported = export_state(tx)
    assert exported["organizations"][0]["teams"]["owners"]["members"] == [
        "alice",
        "acme+mirrorbot",
    ]
    with apply(json.loads(json.dumps(exported))).transaction() as tx:
        assert export_state(tx) == exported


POLICIES = [
    {"uuid": "p-1", "namespace": "acme", "method": "number_of_tags", "value": 10},
    {
        "uuid": "p-2",
        "repository": "acme/app",
        "method": "creation_date",
        "value": "7d",
        "tagPattern": "^dev-",
        "tagPatternMatches": False,
    },
]


def test_autoprune_policies_are_applied_exported_and_round_trip():
    """A namespace's and a repository's policy, stored as Quay's ``policy.py`` stores a body
    (``tag_pattern``, ``tag_pattern_matches`` true unless given); the export writes them back
    in the bodies' keys."""
    with apply({**ORG, "autoprune_policies": POLICIES}).transaction() as tx:
        assert tx.get("autoprune_policies", "p-2") == {
            "uuid": "p-2",
            "namespace": "acme",
            "repository": "app",
            "method": "creation_date",
            "value": "7d",
            "tag_pattern": "^dev-",
            "tag_pattern_matches": False,
        }
        exported = export_state(tx)
    assert exported["autoprune_policies"] == [
        {**POLICIES[0], "tagPattern": None, "tagPatternMatches": True},
        POLICIES[1],
    ]
    with apply(json.loads(json.dumps(exported))).transaction() as tx:
        assert export_state(tx) == exported


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"namespace": "ghost"}, "unknown namespace 'ghost'"),
        ({"repository": "acme/ghost"}, "unknown repository 'acme/ghost'"),
        ({"namespace": "acme", "repository": "acme/app"}, "needs a namespace or a repository"),
        ({"namespace": "acme", "value": 0}, "Invalid value given for method type"),
        ({"namespace": "acme", "tagPattern": " "}, "tag_pattern cannot be empty"),
        ({"namespace": "acme", "method": "by_size"}, "method must be one of"),
        ({"namespace": "acme", "uuid": "p-1"}, "uuid 'p-1' is another policy's"),
    ],
)
def test_autoprune_policy_problems(entry, problem):
    """Quay's ``assert_valid_*_autoprune_policy`` messages, and a target that must exist."""
    bad = {"method": "number_of_tags", "value": 3, **entry}
    problems = problems_of({**ORG, "autoprune_policies": [POLICIES[0], bad]})
    assert any(
        line.startswith(f"doc.yaml: autoprune_policies[1]: {problem}") for line in problems
    ), problems


def test_check_fixtures_accepts_the_bundled_default(capsys):
    assert main(["check-fixtures", str(bundled_default())]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_check_fixtures_prints_one_line_per_problem_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"users": [{"username": "a", "x": 1}], "tokens": [{}]}))
    assert main(["check-fixtures", str(bad)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{bad}: users[0]: unknown key(s): x"
    assert lines[1].startswith(f"{bad}: tokens[0]: 'token' is required")


def test_a_mirror_keeps_a_state_its_document_gives_the_repository():
    document = {
        **ORG,
        "repositories": [{"name": "acme/app", "state": "READ_ONLY"}],
        "mirrors": [MIRROR_ENTRY],
    }
    store = apply(document)
    with store.transaction() as tx:
        assert tx.get("repositories", "acme/app")["state"] == "READ_ONLY"
        assert tx.get("mirrors", "acme/app") is not None


def test_a_mirror_makes_a_repository_without_a_stated_state_mirror():
    store = apply(ORG, {"mirrors": [MIRROR_ENTRY]})
    with store.transaction() as tx:
        assert tx.get("repositories", "acme/app")["state"] == "MIRROR"


def test_a_file_read_twice_gives_two_documents_and_its_new_text_when_changed(tmp_path):
    path = tmp_path / "state.yaml"
    path.write_text("users: [{username: alice}]\n")

    ((_, first),) = read_documents([path])
    first["users"].append({"username": "mallory"})
    ((_, again),) = read_documents([path])
    path.write_text("users: [{username: bob}]\n")
    ((_, changed),) = read_documents([path])

    assert again == {"users": [{"username": "alice"}]}
    assert changed == {"users": [{"username": "bob"}]}


#: A document that needs the bundled fixtures under it: ``acme`` is theirs.
ON_BUNDLED = "repositories: [{name: acme/mine}]\n"


def test_the_word_bundled_reads_the_bundled_fixtures_among_files_in_order(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(ON_BUNDLED)
    documents = read_documents(["bundled", mine])
    assert [source for source, _ in documents] == [str(bundled_default()), str(mine)]
    store = apply(*(document for _, document in documents))
    with store.transaction() as tx:
        assert tx.get("repositories", "acme/mine")["namespace"] == "acme"
        assert tx.get("mirrors", "acme/etcd")["external_reference"] == "quay.io/coreos/etcd"


def test_a_file_named_bundled_is_read_as_dot_slash_bundled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bundled").write_text("users: [{username: own}]\n")
    assert read_documents(["./bundled"]) == [("bundled", {"users": [{"username": "own"}]})]


def test_check_fixtures_takes_bundled_then_files_in_order(tmp_path, capsys):
    mine = tmp_path / "mine.yaml"
    mine.write_text(ON_BUNDLED)
    assert main(["check-fixtures", "bundled", str(mine)]) == 0
    assert capsys.readouterr().out == f"ok: bundled, {mine}\n"
    assert main(["check-fixtures", str(mine), "bundled"]) == 2
    assert capsys.readouterr().out == (
        f"{mine}: repositories[0]: namespace 'acme' is not a user or organization\n"
    )
