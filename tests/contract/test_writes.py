"""Write operations in a contract run: prefixed names, only the run's own resources changed,
everything created deleted at the end - even when a check fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from mockserver.contract.bodies import Names, Shaper, prefix
from mockserver.contract.created import ALIVE, Answer, Created, DeleteRoute, delete_routes
from mockserver.contract.options import ContractOptions, spec_path
from mockserver.contract.writes import stateful_settings
from mockserver.spec import load_spec
from tests.contract.conftest import AppServer, invoke
from tests.contract.fake_sendgrid import FOREIGN, FOREIGN_LIST, FakeSendGrid, _list

KEY = "SG." + "w" * 22 + "." + "k" * 43
CREATE = "/v3/marketing/segments/2.0"
LISTS = "/v3/marketing/lists"
#: The creates the spec links to a delete: a v2 segment's, a list's.
MADE_BY = {("POST", CREATE), ("POST", LISTS)}
ROUTE = DeleteRoute("/id", "/v3/marketing/segments/2.0/{segment_id}", "segment_id", CREATE)
RUN = prefix(7)


@pytest.fixture(scope="module")
def sendgrid():
    return load_spec("sendgrid", spec_path("sendgrid"))


class Sent:
    """A :data:`created.Send` that answers DELETEs ``status``, lists ``listing``, and remembers
    the DELETEs it was asked."""

    def __init__(self, status: int | None = 202, listing: list[dict] | None = None) -> None:
        self.status = status
        self.listing = listing or []
        self.calls: list[tuple[str, str]] = []

    def __call__(self, method: str, path: str) -> Answer:
        if method == "GET":
            return Answer(200, {"results": self.listing})
        self.calls.append((method, path))
        return Answer(self.status)


def tracker(send: Sent, log: list[str] | None = None) -> Created:
    log = log if log is not None else []
    return Created({("POST", CREATE): ROUTE}, send, log.append, prefix=RUN)


def test_the_spec_links_each_create_to_its_delete(sendgrid):
    assert delete_routes(sendgrid) == {
        ("POST", CREATE): ROUTE,
        ("POST", LISTS): DeleteRoute("/id", LISTS + "/{id}", "id", LISTS),
    }
    # Declared links replace inferred ones (a list's ids must not flow into a DELETE)...
    declared = {"inference": {"algorithms": []}}
    assert stateful_settings(ContractOptions("sendgrid"), sendgrid) == declared
    deployment = ContractOptions("sendgrid", base_url="https://api.example.com")
    assert stateful_settings(replace(deployment, allow_writes=True), sendgrid) == declared
    # ... unless no declared link runs (the writes left out): then reads are chained as inferred.
    assert stateful_settings(deployment, sendgrid) == {}
    actionhub = load_spec("actionhub", spec_path("actionhub"))
    assert stateful_settings(ContractOptions("actionhub"), actionhub) == {}


def test_created_ids_are_deleted_at_the_end_unless_the_run_deleted_them():
    send, log = Sent(), []
    created = tracker(send, log)
    created.observe("POST", CREATE, 201, {"id": "a"}, [])
    created.observe("POST", CREATE, 201, {"id": "b"}, [])
    created.observe("POST", CREATE, 400, {"id": "c"}, [])  # refused: nothing was made
    created.observe("DELETE", ROUTE.path, 202, None, ["a"])
    assert created.finish() == []
    assert send.calls == [("DELETE", "/v3/marketing/segments/2.0/b")]
    assert log[-1].endswith(
        f"2 created, 0 more found by their {RUN} names: 1 deleted by the run's own steps, "
        "1 by the cleanup, 0 left"
    )


def test_past_the_alive_bound_the_oldest_is_deleted_during_the_run():
    send = Sent()
    created = tracker(send)
    for number in range(ALIVE + 2):
        created.observe("POST", CREATE, 201, {"id": f"s{number}"}, [])
    assert [path.rsplit("/", 1)[1] for _, path in send.calls] == ["s0", "s1"]
    assert len(created.alive) == ALIVE


def test_what_could_not_be_deleted_is_reported():
    created = tracker(Sent(status=500))
    created.observe("POST", CREATE, 201, {"id": "x/y"}, [])
    assert created.finish() == [
        "could not delete /v3/marketing/segments/2.0/x%2Fy (500): delete it by hand"
    ]
    gone = tracker(Sent(status=None))
    gone.observe("POST", CREATE, 201, {"id": "z"}, [])
    assert gone.finish() == [
        "could not delete /v3/marketing/segments/2.0/z (no answer): delete it by hand"
    ]


def test_what_no_answer_showed_is_found_by_its_prefix_at_the_end():
    """A check's own create (ignored_auth's, without a credential) reaches no hook; a run
    stopped mid-scenario never reports it: the list shows it under the run's prefix."""
    theirs = {"id": "theirs", "name": "Customers"}
    send = Sent(listing=[{"id": "probe", "name": f"{RUN}3-x"}, theirs])
    log: list[str] = []
    assert tracker(send, log).finish() == []
    assert send.calls == [("DELETE", "/v3/marketing/segments/2.0/probe")]
    assert "0 created, 1 more found by their" in log[-1]


def test_ids_answers_showed_are_foreign_unless_the_run_made_them():
    created = tracker(Sent())
    listing = {"results": [{"id": "theirs", "parent_list_ids": ["list-1"], "name": "n"}]}
    created.observe("GET", CREATE, 200, listing, [])
    created.observe("POST", CREATE, 201, {"id": "ours", "name": "m"}, [])
    assert created.foreign("theirs") and created.foreign("list-1")
    assert not created.foreign("ours") and not created.foreign("never-seen")
    assert not created.foreign("n")  # a name is not an id


def test_generated_writes_go_only_to_what_the_run_made_and_carry_its_prefix(sendgrid):
    """The hooks on the run's schema, drawn through Schemathesis' public strategies: a path id
    some answer showed (the account's segment) is re-aimed; the run's own is kept."""
    import warnings

    import schemathesis

    from mockserver.contract.writes import prepare

    url = "http://127.0.0.1:9"
    schema = schemathesis.openapi.from_path(
        spec_path("sendgrid"), config=schemathesis.Config.from_dict({"base-url": url})
    )
    options = ContractOptions("sendgrid", base_url=url, allow_writes=True)
    schema, created = prepare(options, sendgrid, schema, 7, Sent(), [].append)
    ours = "b0b0b0b0-b0b0-4b0b-8b0b-b0b0b0b0b0b0"
    created.observe("GET", CREATE, 200, {"results": [{"id": FOREIGN}]}, [])
    created.observe("POST", CREATE, 201, {"id": ours}, [])
    delete = schema[ROUTE.path]["DELETE"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Hypothesis' .example() outside a test
        aimed = delete.as_strategy(path_parameters={"segment_id": FOREIGN}).example()
        kept = delete.as_strategy(path_parameters={"segment_id": ours}).example()
        made = schema[CREATE]["POST"].as_strategy().example()
    assert aimed.path_parameters["segment_id"] not in (FOREIGN, ours)
    assert kept.path_parameters["segment_id"] == ours
    assert made.body["name"].startswith(RUN)


def test_names_are_prefixed_unique_and_keep_negative_lengths():
    names = Names(7)
    first, second = names("a", 100), names("a", 100)
    assert first.startswith(prefix(7)) and first != second
    assert names(first, 100).count(prefix(7)) == 1  # a name drawn again is numbered anew
    assert len(names("x" * 100, 100)) == 100  # cut back to the bound: still valid
    assert len(names("x" * 150, 100)) == 150  # too long before: still too long


def test_positive_bodies_keep_the_rules_the_schema_cannot_state(sendgrid):
    import random

    names = Names(1)
    create = Shaper(sendgrid.operation("CreateSegmentV2"), names, random.Random(0))
    body = {"name": "n", "query_dsl": "0", "parent_list_ids": ["f3b9c2a1"]}
    shaped = create(body, positive=True)
    assert "parent_list_ids" not in shaped and shaped["query_dsl"].startswith("SELECT")
    assert shaped["name"].startswith(prefix(1))
    assert create(body, positive=False)["query_dsl"] == "0"  # a negative case keeps its data
    update = Shaper(sendgrid.operation("UpdateSegmentV2"), names, random.Random(0))
    assert set(update({}, positive=True)) & {"name", "query_dsl"}
    rename = Shaper(sendgrid.operation("UpdateList"), names, random.Random(0))
    assert rename({}, positive=True)["name"].startswith(prefix(1))  # a PATCH changes something


@pytest.fixture
def fake() -> Iterator[tuple[AppServer, FakeSendGrid]]:
    state = FakeSendGrid(broken=True)
    with AppServer(state.app()) as server:
        yield server, state


def _run(url: str, *extra: str) -> tuple[int, str]:
    args = ["--api", "sendgrid", "--base-url", url, "--rate-limit", "off", "--seed", "7"]
    code, out, _ = invoke([*args, "--max-examples", "5", *extra], {"SENDGRID_API_KEY": KEY})
    return code, out


@pytest.mark.slow
def test_allowed_writes_carry_the_prefix_touch_only_their_own_and_are_deleted(fake):
    server, state = fake
    code, out = _run(server.url, "--allow-writes")
    # The fake answers GETs by id without required fields: a check fails...
    assert code == 1
    assert "GET /v3/marketing/segments/2.0/{segment_id}: FAILED" in out
    # ... and still everything the run created is gone; the account's own segment untouched.
    creates = [seen for seen in state.writes if (seen.method, seen.path) == ("POST", CREATE)]
    assert creates, "the run created nothing"
    assert all(seen.body["name"].startswith(prefix(7)) for seen in creates)
    assert list(state.segments) == [FOREIGN]
    assert state.segments[FOREIGN]["name"] == "Customers in California"
    assert not [seen for seen in state.writes if FOREIGN in seen.path]
    # Lists alike: those the run made are deleted, the account's own one untouched.
    lists = [seen for seen in state.writes if (seen.method, seen.path) == ("POST", LISTS)]
    assert lists, "the run created no list"
    assert all(seen.body["name"].startswith(prefix(7)) for seen in lists)
    assert state.lists == {FOREIGN_LIST: _list(FOREIGN_LIST, "Newsletter")}
    assert not [seen for seen in state.writes if FOREIGN_LIST in seen.path]
    cleanups = [line for line in out.splitlines() if line.startswith("  cleanup    DELETE ")]
    assert cleanups and all(line.endswith((": 202", ": 204")) for line in cleanups)
    assert ", 0 left" in out
    assert "error: cleanup" not in out


@pytest.mark.slow
def test_a_run_stopped_early_still_deletes_what_it_created():
    state = FakeSendGrid()
    with AppServer(state.app()) as server:
        # The stateful phase starts from the creates (the spec's links): stopped at 2 s, long
        # before its chains end, with segments or lists made.
        args = ["--allow-writes", "--phases", "stateful", "--max-time", "2"]
        code, out = _run(server.url, *args, "--max-examples", "40")
    assert code == 1 and out.rstrip().endswith("stopped: --max-time 2 s")
    made = [seen for seen in state.writes if (seen.method, seen.path) in MADE_BY]
    assert len(made) > 1
    assert list(state.segments) == [FOREIGN]
    assert list(state.lists) == [FOREIGN_LIST]
    writes = "writes:      12 run (--allow-writes), 2 never sent to a deployment; names start with"
    assert f"{writes} mockserver-contract-7-" in out
    assert KEY[3:] not in out
