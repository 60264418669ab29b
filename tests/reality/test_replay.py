"""Record through the proxy, replay with ``serve --replay``: byte for byte, upstream stopped."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from mockserver.cli import main
from mockserver.config import ServeConfig
from mockserver.errors import DataError
from tests.conftest import AUTH, JSON, PROGRAM
from tests.harness import live_server, mock_app
from tests.reality.conftest import running_proxy
from tests.reality.drift_app import SEGMENTS

NDJSON = {"content-type": "application/x-ndjson"}

#: Headers each server computes per answer (not recorded, not compared), and the proxy's note.
PER_ANSWER = {"date", "server", "content-length", "x-mockserver-violation"}

SENDGRID_SESSION = [
    (SEGMENTS, AUTH),
    (SEGMENTS, AUTH),  # rate limited upstream: the same request, other headers
    (SEGMENTS + "?no_parent_list_id=true&parent_list_ids=", AUTH),
    (SEGMENTS + "?no_parent_list_id=maybe", AUTH),
    (SEGMENTS, {}),
    (SEGMENTS + "/00000000-0000-4000-8000-000000000000", AUTH),
]
ACTIONHUB_SESSION = [
    ("/segments?segment_basis=assets&size=3", PROGRAM),
    ("/segments?size=3&segment_basis=assets", {"program-id": "other"}),
    ("/segment?labels=cat-tents&min_weight=0.6", PROGRAM),
    ("/segments?page=0", PROGRAM),
]


def seen(answer: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in answer.headers.multi_items() if k not in PER_ANSWER]
    return answer.status_code, headers, answer.content


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A session recorded through the proxy; the upstream and the proxies are gone after."""
    folder = tmp_path_factory.mktemp("cassettes")
    cassettes = {api: folder / f"{api}.jsonl" for api in ("sendgrid", "actionhub")}
    upstream_config = ServeConfig(cors_origins=(), vendor_options={"sendgrid": {"rate_limit": 100}})
    answers = {}
    with live_server(upstream_config) as upstream:
        first_id = httpx.get(upstream.url + SEGMENTS, headers=AUTH).json()["results"][0]["id"]
        session = {
            "sendgrid": [*SENDGRID_SESSION, (f"{SEGMENTS}/{first_id}?query_json=true", AUTH)],
            "actionhub": ACTIONHUB_SESSION,
        }
        for api, requests in session.items():
            with running_proxy(api, upstream.url, record=cassettes[api]) as proxy:
                answers[api] = [
                    (target, headers, seen(httpx.get(proxy.url + target, headers=headers)))
                    for target, headers in requests
                ]
    return cassettes, answers


@pytest.fixture()
def live_replaying(recorded):
    cassettes, _ = recorded
    config = ServeConfig(seed=99, cors_origins=(), replay=tuple(cassettes.values()))
    with live_server(config) as server:
        yield server


def test_a_recorded_session_replays_byte_for_byte_with_the_upstream_stopped(
    recorded, live_replaying
):
    _, answers = recorded
    for api, exchanges in answers.items():
        for target, headers, (status, recorded_headers, body) in exchanges:
            replayed = seen(httpx.get(live_replaying.url + target, headers=headers))
            assert replayed == (status, recorded_headers, body), (api, target)
    journal = httpx.get(live_replaying.url + "/__mockserver/requests").json()["requests"]
    assert {entry["source"] for entry in journal} == {"replay"}
    assert len(journal) == sum(len(exchanges) for exchanges in answers.values())


def test_the_same_request_twice_replays_in_recorded_order_then_repeats(recorded, live_replaying):
    _, answers = recorded
    first, second = (answer for target, _, answer in answers["sendgrid"][:2])
    remaining = [int(dict(answer[1])["x-ratelimit-remaining"]) for answer in (first, second)]
    assert remaining[0] - remaining[1] == 1  # the upstream counted them: two different answers
    got = [seen(httpx.get(live_replaying.url + SEGMENTS, headers=AUTH)) for _ in range(3)]
    assert got == [first, second, second]


def test_an_unmatched_request_falls_back_to_world_data(live_replaying):
    other_key = {"Authorization": "Bearer SG." + "z" * 22 + "." + "y" * 43}
    # any key of the same kind matches: the cassette holds only the masked form
    assert httpx.get(live_replaying.url + SEGMENTS, headers=other_key).status_code == 200
    unmatched = [
        ("/segments?segment_basis=assets&size=4", PROGRAM),  # another query
        ("/segments?segment_basis=assets&size=3", {"program-id": "third"}),  # another tenant
        (SEGMENTS + "?no_parent_list_id=true", AUTH),  # a parameter fewer
    ]
    for target, headers in unmatched:
        assert httpx.get(live_replaying.url + target, headers=headers).status_code == 200
    journal = httpx.get(live_replaying.url + "/__mockserver/requests").json()["requests"]
    assert [entry["source"] for entry in journal] == ["replay", "mock", "mock", "mock"]
    assert journal[1]["query"] == "segment_basis=assets&size=4"


def test_the_cassette_holds_no_key_and_the_format_is_json_lines(recorded):
    cassettes, _ = recorded
    text = cassettes["sendgrid"].read_text()
    lines = [orjson.loads(line) for line in text.splitlines()]
    assert len(lines) == len(SENDGRID_SESSION) + 1
    assert AUTH["Authorization"].split()[1] not in text
    first = lines[0]
    assert first["version"] == 1 and first["api"] == "sendgrid"
    assert first["operation"] == "ListSegment"
    assert first["request"] == {
        "method": "GET",
        "path": SEGMENTS,
        "query": "",
        "headers": {"authorization": "Bearer SG.***"},
        "body": "",
    }
    names = [name for name, _ in first["response"]["headers"]]
    assert names[0] == "content-type" and "x-ratelimit-remaining" in names
    assert not {"date", "server", "content-length"} & set(names)
    assert lines[4]["request"]["headers"] == {}  # the unauthenticated request


# -- refused cassettes ---------------------------------------------------------------------------
def tampered(recorded, tmp_path, line_number: int, change) -> str:
    cassettes, _ = recorded
    lines = cassettes["sendgrid"].read_text().splitlines()
    lines[line_number - 1] = change(lines[line_number - 1])
    path = tmp_path / "tampered.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def retype_count(line: str) -> str:
    document = orjson.loads(line)
    body = orjson.loads(document["response"]["body"])
    body["results"][0]["contacts_count"] = "many"
    document["response"]["body"] = orjson.dumps(body).decode()
    return orjson.dumps(document).decode()


@pytest.mark.parametrize(
    ("line_number", "change", "reason"),
    [
        (2, lambda line: line[:-5], "tampered.jsonl line 2: not valid JSON"),
        (
            3,
            retype_count,
            "tampered.jsonl line 3: GET /v3/marketing/segments?no_parent_list_id=true&"
            'parent_list_ids= -> 200: body /results/0/contacts_count: "many" is not of type '
            '"integer"',
        ),
        (
            1,
            lambda line: line.replace('"status":200', '"status":299'),
            "tampered.jsonl line 1: GET /v3/marketing/segments -> 299: status 299 is not declared",
        ),
        (
            1,
            lambda line: line.replace(f'"path":"{SEGMENTS}"', '"path":"/v3/nowhere"'),
            "tampered.jsonl line 1: GET /v3/nowhere: the sendgrid spec declares no such path",
        ),
        (4, lambda line: line.replace('"version":1', '"version":2'), "line 4: version must be 1"),
    ],
)
def test_a_tampered_cassette_is_refused_with_its_line(
    recorded, tmp_path, line_number, change, reason
):
    path = tampered(recorded, tmp_path, line_number, change)
    with pytest.raises(DataError) as refused:
        mock_app(replay=(tmp_path / "tampered.jsonl",))
    assert any(reason in found for found in refused.value.reasons), refused.value.reasons
    assert len(refused.value.reasons) == 1
    assert path


def test_serve_refuses_a_tampered_cassette_at_start_up_exit_2(recorded, tmp_path, capsys):
    path = tampered(recorded, tmp_path, 3, retype_count)
    assert main(["serve", "--replay", path, "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("mockserver: error: tampered.jsonl line 3: ")
    assert '"many" is not of type "integer"' in error


def test_serve_refuses_a_missing_cassette(tmp_path, capsys):
    assert main(["serve", "--replay", str(tmp_path / "absent.jsonl")]) == 2
    assert "cannot read cassette" in capsys.readouterr().err


# -- the control API ---------------------------------------------------------------------------
def test_a_cassette_loads_at_run_time_all_or_nothing(recorded, tmp_path):
    cassettes, answers = recorded
    with live_server(seed=99, cors_origins=()) as server:
        control = server.url + "/__mockserver/cassettes"
        target, headers, (_, _, body) = answers["actionhub"][0]
        assert httpx.get(server.url + target, headers=headers).content != body
        loaded = httpx.put(control, headers=NDJSON, content=cassettes["actionhub"].read_bytes())
        assert loaded.status_code == 200
        assert loaded.json() == {
            "status": "loaded",
            "exchanges": 4,
            "requests": 4,
            "apis": {"actionhub": 4},
        }
        assert httpx.get(server.url + target, headers=headers).content == body

        bad = tampered(recorded, tmp_path, 3, retype_count)
        refused = httpx.put(control, headers=NDJSON, content=Path(bad).read_bytes())
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid cassette; nothing was changed"
        assert refused.json()["reasons"][0].startswith("cassette line 3: ")
        assert httpx.get(server.url + target, headers=headers).content == body  # still served

        assert httpx.put(control, headers=NDJSON, content=b"").status_code == 400
        assert httpx.request("DELETE", control, headers=JSON).json() == {"cleared": 4}
        assert httpx.get(server.url + target, headers=headers).content != body


def test_reset_goes_back_to_the_start_up_cassettes(recorded):
    cassettes, answers = recorded
    config = ServeConfig(cors_origins=(), replay=(cassettes["sendgrid"],))
    with live_server(config) as server:
        control = server.url + "/__mockserver"
        httpx.put(
            control + "/cassettes", headers=NDJSON, content=cassettes["actionhub"].read_bytes()
        )
        assert httpx.get(control + "/cassettes").json()["apis"] == {"actionhub": 4}
        first = seen(httpx.get(server.url + SEGMENTS, headers=AUTH))
        httpx.post(control + "/reset", headers=JSON)
        assert httpx.get(control + "/cassettes").json()["apis"] == {"sendgrid": 7}
        assert seen(httpx.get(server.url + SEGMENTS, headers=AUTH)) == answers["sendgrid"][0][2]
        assert first != answers["sendgrid"][0][2]  # before reset: no sendgrid cassette


def test_redacted_fields_are_faked_before_the_cassette_is_written(
    live_upstream, segments, tmp_path
):
    cassette = tmp_path / "redacted.jsonl"
    target = f"{SEGMENTS}/{segments.plain}"
    with running_proxy(
        "sendgrid", live_upstream.url, record=cassette, redact=("email", "last_name")
    ) as proxy:
        original = httpx.get(proxy.url + target, headers=AUTH).json()
    people = original["contacts_sample"]
    written = cassette.read_text()
    assert people and all(person["email"] not in written for person in people)
    assert all(person["last_name"] not in written for person in people if person["last_name"])
    recorded = orjson.loads(orjson.loads(written)["response"]["body"])
    faked = recorded["contacts_sample"]
    assert [p["first_name"] for p in faked] == [p["first_name"] for p in people]  # not redacted
    assert all(p["email"].endswith("@example.com") for p in faked)
    assert [len(p["last_name"]) for p in faked] == [len(p["last_name"]) for p in people]
    # the redacted cassette still satisfies the spec: it replays
    with live_server(cors_origins=(), replay=(cassette,)) as server:
        replayed = httpx.get(server.url + target, headers=AUTH).json()
    assert replayed == recorded


def test_a_proxy_answers_from_a_loaded_cassette_before_asking_the_upstream(recorded):
    from tests.reality.conftest import closed_port_url

    cassettes, answers = recorded
    target, headers, (status, recorded_headers, body) = answers["actionhub"][0]
    with running_proxy("actionhub", closed_port_url()) as proxy:
        control = proxy.url + "/__mockserver/cassettes"
        assert (
            httpx.put(
                control, headers=NDJSON, content=cassettes["actionhub"].read_bytes()
            ).status_code
            == 200
        )
        assert seen(httpx.get(proxy.url + target, headers=headers)) == (
            status,
            recorded_headers,
            body,
        )
        assert httpx.get(proxy.url + "/segments?size=9", headers=PROGRAM).status_code == 502
        journal = httpx.get(proxy.url + "/__mockserver/requests").json()["requests"]
    assert [entry["source"] for entry in journal] == ["replay", "proxy"]


def test_replay_files_reach_every_worker(tmp_path):
    from mockserver.config import config_from_json, config_to_json

    config = ServeConfig(replay=(tmp_path / "a.jsonl", Path("relative.jsonl")))
    assert config_from_json(config_to_json(config)) == config


def test_a_recorded_exchange_is_in_the_cassette_before_its_answer_is_sent(live_upstream, tmp_path):
    """A client that has its answer can load the cassette at once (the console does)."""
    import asyncio

    from tests.reality.conftest import proxy_app

    cassette = tmp_path / "actionhub.jsonl"
    app = proxy_app("actionhub", live_upstream.url, record=cassette)
    headers = [(b"program-id", b"demo"), (b"host", b"127.0.0.1")]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/segments",
        "raw_path": b"/segments",
        "query_string": b"size=3",
        "headers": headers,
        "scheme": "http",
        "http_version": "1.1",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
    }
    lines_at_answer: list[int] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            assert message["status"] == 200
            lines_at_answer.append(len(cassette.read_bytes().splitlines()))

    async def exchange():
        await app(scope, receive, send)
        await app.aclose()

    asyncio.run(exchange())
    assert lines_at_answer == [1]
    assert orjson.loads(cassette.read_bytes())["request"]["path"] == "/segments"
