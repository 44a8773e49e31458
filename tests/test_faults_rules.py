"""The fault engine on its own: rule validation, the one-off header, chance, matching, counters."""

from __future__ import annotations

import threading

import pytest

from mockquay.faults.engine import Decision, FaultEngine
from mockquay.faults.rules import (
    FaultRuleError,
    RequestFacts,
    chance,
    parse_header,
    parse_new_rules,
    parse_rule,
)

MIRROR_PATH = "/api/v1/repository/acme/etcd/mirror"


def problems_of(data) -> list[tuple[str, str]]:
    with pytest.raises(FaultRuleError) as raised:
        parse_rule(data, rule_id="r")
    return raised.value.problems


class CountingFacts(RequestFacts):
    """Request facts that count how often their routing ran."""

    def __init__(self, method: str, path: str, operation: str, repository: str) -> None:
        self.routings = 0
        super().__init__(method, path, self._route)
        self._answer = (operation, repository)

    def _route(self) -> tuple[str, str]:
        self.routings += 1
        return self._answer


def facts(method="GET", path=MIRROR_PATH, operation="getRepoMirrorConfig", repository="acme/etcd"):
    return CountingFacts(method, path, operation, repository)


def engine_with(*rules, seed=0) -> FaultEngine:
    engine = FaultEngine()
    engine.load(parse_new_rules(list(rules), ()), seed=seed, keep_counters=False)
    return engine


def counts(engine: FaultEngine) -> dict[str, tuple[int, int]]:
    return {rule["id"]: (rule["matched"], rule["fired"]) for rule in engine.view()}


def test_a_full_rule_is_kept_in_normal_form():
    rule = parse_rule(
        {
            "id": "sync-503",
            "match": {"operation": "syncNow", "method": "post", "repository": "acme/app"},
            "status": 503,
            "body": None,
            "headers": {"Retry-After": 2},
            "delay_ms": 0,
            "transport": None,
            "phase": "before",
            "times": 2,
            "after": 0,
            "probability": 1.0,
        }
    )
    assert rule.to_dict() == {
        "id": "sync-503",
        "match": {"operation": "syncNow", "method": "POST", "repository": "acme/app"},
        "status": 503,
        "body": None,
        "headers": {"Retry-After": "2"},
        "delay_ms": 0,
        "transport": None,
        "phase": "before",
        "times": 2,
        "after": 0,
        "probability": 1.0,
    }


def test_a_minimal_rule_gets_every_default():
    assert parse_rule({"status": 500}, rule_id="fault-1").to_dict() == {
        "id": "fault-1",
        "match": {},
        "status": 500,
        "body": None,
        "headers": {},
        "delay_ms": 0,
        "transport": None,
        "phase": "before",
        "times": None,
        "after": 0,
        "probability": 1.0,
    }


@pytest.mark.parametrize(
    "rule",
    [
        {"status": 503, "headers": {"Retry-After": "2"}, "body": {"message": "busy"}},
        {"transport": "hang", "phase": "after", "times": 1},
        {"delay_ms": 2.5, "match": {"operation": "syncNow"}, "probability": 0.25, "after": 3},
    ],
)
def test_the_normal_form_parses_back_to_the_same_rule(rule):
    parsed = parse_rule(rule, rule_id="r")
    assert parse_rule(parsed.to_dict()) == parsed


@pytest.mark.parametrize(
    ("rule", "field", "problem"),
    [
        ({"status": 503, "colour": "red"}, "colour", "unknown key (known: id, match, status, "
         "body, headers, delay_ms, transport, phase, times, after, probability)"),
        ({"id": "a b", "status": 503}, "id", "must be 1 to 100 letters, digits, '.', '_', ':' "
         "or '-'"),
        ({"id": "request", "status": 503}, "id", "'request' is kept for the X-Mockquay-Fault "
         "header"),
        ({"match": "syncNow", "status": 503}, "match", "must be a mapping of operation, method, "
         "repository, path, notification_method, url"),
        ({"match": {"verb": "GET"}, "status": 503}, "match.verb", "unknown key (known: "
         "operation, method, repository, path, notification_method, url)"),
        ({"match": {"method": "FETCH"}, "status": 503}, "match.method", "must be one of GET, "
         "HEAD, POST, PUT, PATCH, DELETE, OPTIONS"),
        ({"match": {"operation": "syncNow", "method": "GET"}, "status": 503}, "match.method",
         "operation syncNow is POST, not GET"),
        ({"match": {"repository": "etcd"}, "status": 503}, "match.repository",
         "must be 'namespace/name' (a glob like 'acme/*')"),
        ({"match": {"path": "api/v1"}, "status": 503}, "match.path",
         "must be a path starting with '/' (a glob)"),
        ({"status": 99}, "status", "must be an integer from 200 to 599"),
        ({"status": "503"}, "status", "must be an integer from 200 to 599"),
        ({"status": True}, "status", "must be an integer from 200 to 599"),
        ({"body": {"a": 1}, "delay_ms": 5}, "body", "needs a status"),
        ({"headers": {"A": "b"}, "delay_ms": 5}, "headers", "needs a status"),
        ({"status": 503, "headers": ["Retry-After"]}, "headers",
         "must map header names to values"),
        ({"status": 503, "headers": {"Bad Name": "x"}}, "headers.Bad Name",
         "is not a valid header name"),
        ({"status": 503, "headers": {"Content-Length": "9"}}, "headers.Content-Length",
         "is set by the server and cannot be faked"),
        ({"status": 503, "headers": {"X-A": "a\r\nb"}}, "headers.X-A",
         "must not contain a line break"),
        ({"status": 503, "headers": {"X-A": [1]}}, "headers.X-A", "must be a string or a number"),
        ({"delay_ms": -1}, "delay_ms", "must be a number of milliseconds from 0 to 600000"),
        ({"delay_ms": 600001}, "delay_ms", "must be a number of milliseconds from 0 to 600000"),
        ({"transport": "drop"}, "transport", "must be one of reset, close, malformed, hang"),
        ({"transport": "reset", "status": 503}, "transport",
         "excludes status: a broken connection has no answer"),
        ({}, "status", "a rule needs an effect: status, transport or delay_ms"),
        ({"delay_ms": 0}, "status", "a rule needs an effect: status, transport or delay_ms"),
        ({"status": 503, "phase": "during"}, "phase", "must be 'before' or 'after'"),
        ({"status": 503, "times": 0}, "times", "must be a positive integer, or null for no limit"),
        ({"status": 503, "after": -1}, "after", "must be an integer of 0 or more"),
        ({"status": 503, "after": 1.5}, "after", "must be an integer of 0 or more"),
        ({"status": 503, "probability": 1.5}, "probability", "must be a number from 0 to 1"),
    ],
)  # fmt: skip
def test_an_invalid_rule_names_the_field(rule, field, problem):
    assert problems_of(rule) == [(field, problem)]


def test_an_unknown_operation_lists_quay_nicknames():
    ((field, problem),) = problems_of({"match": {"operation": "syncNever"}, "status": 503})
    assert field == "match.operation"
    assert problem.startswith("must be one of Quay's operation nicknames (")
    assert "syncNow" in problem and "getRepoMirrorConfig" in problem


def test_every_problem_of_a_rule_is_reported():
    assert [field for field, _ in problems_of({"status": 1, "phase": "x", "times": 0})] == [
        "status",
        "phase",
        "times",
    ]


def test_a_rule_that_is_not_a_mapping_is_refused():
    assert problems_of(["status", 503]) == [("rule", "must be a mapping")]


def test_new_rules_get_free_automatic_ids_in_order():
    rules = parse_new_rules(
        [{"status": 500}, {"id": "fault-3", "status": 500}, {"status": 500}], {"fault-2"}
    )
    assert [rule.id for rule in rules] == ["fault-4", "fault-3", "fault-5"]


def test_new_rules_refuse_a_taken_id_and_name_the_index():
    with pytest.raises(FaultRuleError) as raised:
        parse_new_rules([{"id": "a", "status": 500}, {"id": "a", "status": 500}], ())
    assert raised.value.problems == [("[1].id", "a rule with id 'a' is already installed")]


def test_header_with_status_and_an_answer_header():
    rule = parse_header("status=503; retry-after=2")
    assert (rule.id, rule.status, rule.headers) == ("request", 503, (("Retry-After", "2"),))


def test_header_with_transport_delay_and_phase():
    rule = parse_header(" transport=reset ;delay_ms=250; phase=after;")
    assert (rule.transport, rule.delay_ms, rule.phase) == ("reset", 250, "after")


def test_header_with_a_text_body():
    assert parse_header("status=409; body=taken").body == "taken"


@pytest.mark.parametrize(
    ("header", "problems"),
    [
        ("status=abc", [("status", "must be an integer from 200 to 599")]),
        ("transport=cut", [("transport", "must be one of reset, close, malformed, hang")]),
        ("delay_ms=soon", [("delay_ms", "must be a number of milliseconds from 0 to 600000")]),
        ("status=503; oops", [("oops", "must be written key=value")]),
        ("", [("status", "a rule needs an effect: status, transport or delay_ms")]),
    ],
)
def test_an_invalid_header_names_the_field(header, problems):
    with pytest.raises(FaultRuleError) as raised:
        parse_header(header)
    assert raised.value.problems == problems


def test_chance_is_fixed_by_seed_rule_and_count():
    assert chance(7, "flaky", 3) == chance(7, "flaky", 3)
    values = {chance(7, "flaky", 3), chance(8, "flaky", 3), chance(7, "other", 3),
              chance(7, "flaky", 4)}  # fmt: skip
    assert len(values) == 4
    assert all(0 <= value < 1 for value in values)


def test_cheap_keys_decide_without_routing():
    engine = engine_with(
        *({"match": {"operation": "syncNow", "repository": f"acme/repo{n}"}, "status": 503}
          for n in range(100)),
        {"match": {"path": "/api/v1/other"}, "status": 503},
    )  # fmt: skip
    request = facts()
    assert engine.decide(request) is None
    assert request.routings == 0


def test_routing_runs_once_for_many_rules_that_need_it():
    engine = engine_with(
        *({"match": {"repository": f"acme/repo{n}"}, "status": 503} for n in range(10))
    )
    request = facts()
    assert engine.decide(request) is None
    assert request.routings == 1


@pytest.mark.parametrize(
    ("match", "hits"),
    [
        ({}, True),
        ({"operation": "getRepoMirrorConfig"}, True),
        ({"operation": "changeRepoMirrorConfig"}, False),
        ({"method": "GET"}, True),
        ({"method": "PUT"}, False),
        ({"repository": "acme/etcd"}, True),
        ({"repository": "acme/*"}, True),
        ({"repository": "acme/app"}, False),
        ({"path": MIRROR_PATH}, True),
        ({"path": "/api/v1/repository/*/mirror"}, True),
        ({"path": "/api/v1/repository/*/sync-now"}, False),
        ({"operation": "getRepoMirrorConfig", "repository": "dev/*"}, False),
    ],
)
def test_match_keys(match, hits):
    engine = engine_with({"id": "r", "match": match, "status": 503})
    decision = engine.decide(facts())
    assert (decision is not None) == hits
    assert counts(engine) == {"r": (int(hits), int(hits))}


def test_times_then_after_count_matches():
    engine = engine_with({"id": "r", "status": 503, "after": 2, "times": 3})
    fired = [engine.decide(facts()) is not None for _ in range(7)]
    assert fired == [False, False, True, True, True, False, False]
    assert counts(engine) == {"r": (7, 3)}


def test_probability_follows_the_seeded_chance():
    engine = engine_with({"id": "flaky", "status": 503, "probability": 0.3}, seed=42)
    fired = [engine.decide(facts()) is not None for _ in range(50)]
    assert fired == [chance(42, "flaky", n) < 0.3 for n in range(1, 51)]
    assert 0 < sum(fired) < 50


def test_probability_zero_never_fires_and_one_always_does():
    engine = engine_with({"id": "never", "status": 503, "probability": 0},
                         {"id": "always", "delay_ms": 1, "probability": 1})  # fmt: skip
    for _ in range(20):
        engine.decide(facts())
    assert counts(engine) == {"never": (20, 0), "always": (20, 20)}


def test_first_answer_wins_delays_add_up_and_shadowed_rules_do_not_fire():
    engine = engine_with(
        {"id": "slow", "delay_ms": 100},
        {"id": "busy", "status": 503, "delay_ms": 50},
        {"id": "gone", "status": 404},
        {"id": "late", "delay_ms": 30, "phase": "after"},
    )
    decision = engine.decide(facts())
    assert decision.rule_id == "busy"
    assert decision.answer.status == 503
    assert (decision.delay_before, decision.delay_after) == (0.15, 0.03)
    assert counts(engine) == {
        "slow": (1, 1),
        "busy": (1, 1),
        "gone": (1, 0),
        "late": (1, 1),
    }


def test_delays_alone_are_named_by_the_first_rule():
    decision = Decision.of([parse_rule({"delay_ms": 5}, rule_id="a"),
                            parse_rule({"delay_ms": 5}, rule_id="b")])  # fmt: skip
    assert (decision.rule_id, decision.answer, decision.delay_before) == ("a", None, 0.01)


def test_a_rule_pattern_does_not_depend_on_other_rules_traffic():
    alone = engine_with({"id": "flaky", "status": 503, "probability": 0.5}, seed=3)
    crowded = engine_with(
        {"id": "other", "match": {"method": "PUT"}, "status": 500, "probability": 0.5},
        {"id": "flaky", "match": {"method": "GET"}, "status": 503, "probability": 0.5},
        seed=3,
    )
    pattern_alone = [alone.decide(facts()) is not None for _ in range(30)]
    pattern_crowded = []
    for _ in range(30):
        crowded.decide(facts(method="PUT"))
        pattern_crowded.append(crowded.decide(facts()) is not None)
    assert pattern_crowded == pattern_alone


def test_times_holds_under_concurrent_decisions():
    engine = engine_with({"id": "r", "status": 503, "times": 5})
    results = []
    start = threading.Barrier(50)

    def decide():
        start.wait()
        results.append(engine.decide(facts()) is not None)

    threads = [threading.Thread(target=decide) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 5
    assert counts(engine) == {"r": (50, 5)}


def test_reloading_keeps_counts_of_unchanged_rules_only():
    engine = engine_with({"id": "same", "status": 503}, {"id": "changed", "status": 503})
    engine.decide(facts())
    engine.load(
        parse_new_rules([{"id": "same", "status": 503}, {"id": "changed", "status": 500}], ()),
        seed=0,
        keep_counters=True,
    )
    assert counts(engine) == {"same": (1, 1), "changed": (0, 0)}
    engine.load(parse_new_rules([{"id": "same", "status": 503}], ()), seed=0, keep_counters=False)
    assert counts(engine) == {"same": (0, 0)}
