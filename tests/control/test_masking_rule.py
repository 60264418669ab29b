"""Masking by rule, not by list; log lines that cannot be forged; journal entries of bounded
size (issue 11, reproductions 5 and 7)."""

from __future__ import annotations

import logging

import pytest

from mockserver.exchange import Exchange
from mockserver.journal.masking import Masker, SecretText, is_credential_name, log_safe
from mockserver.journal.record import read
from mockserver.journal.recorder import Recorder, cut
from mockserver.state.memory import MemoryJournal


@pytest.mark.parametrize(
    "name",
    ["Authorization", "authentication", "X-Auth", "X-Amz-Security-Token", "X-Api-Key", "api%5Fkey",
     "API_KEY", "client_secret", "X-Hub-Signature-256", "Cookie", "Set-Cookie", "password",
     "X-CSRF-Token", "session_id", "\uff4b\uff45\uff59", "x-mockserver-token", "access+token"],
)  # fmt: skip
def test_names_that_look_like_credentials_are_masked(name):
    assert is_credential_name(name)
    masker = Masker()
    assert masker.header_items([(name.encode(), b"s3cret-value-long-enough")]) != {
        name.lower(): "s3cret-value-long-enough"
    }
    assert "s3cret" not in masker.query(f"{name}=s3cret-value&ids=a")


@pytest.mark.parametrize(
    "name", ["program-id", "ids", "segment_id", "no_parent_list_id", "query_json", "page"]
)
def test_the_specs_parameters_are_not_credentials(name):
    assert not is_credential_name(name)
    assert Masker().query(f"{name}=a%2Cb") == f"{name}=a%2Cb"  # byte-identical


def test_the_report_masks_by_the_same_rule():
    line = (
        "curl -H 'X-Amz-Security-Token: abc' -H 'program-id: demo' 'http://h/p?api%5Fkey=zz&ids=1'"
    )
    assert SecretText([])(line) == (
        "curl -H 'X-Amz-Security-Token: ***' -H 'program-id: demo' 'http://h/p?api%5Fkey=***&ids=1'"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("/x\nINFO mockserver.access: forged", "/x\\x0aINFO mockserver.access: forged"),
        ("/y\x1b[31mred", "/y\\x1b[31mred"),
        ("/z\u2028line", "/z\\u2028line"),
        ("/back\\slash", "/back\\\\slash"),
        ("/plain?a=1", "/plain?a=1"),
    ],
)
def test_log_lines_escape_control_characters(text, shown):
    assert log_safe(text) == shown


def test_a_long_target_is_cut_in_the_log():
    assert log_safe("a" * 5000, 100) == "a" * 100 + "...(4900 more)"


def test_an_entry_is_cut_to_its_bytes_and_says_so():
    headers = [(b"host", b"h"), (b"x-big", b"b" * 20_000), (b"x-after", b"a")]
    path, query, kept, dropped = cut("/segments", b"q=1", headers, 1024)
    assert (path, query) == ("/segments", b"q=1")
    assert sum(len(n) + len(v) + 4 for n, v in kept) <= 1024 - len(path) - len(query)
    assert kept[1][1].endswith(b"...") and dropped > 19_000
    assert cut("/" + "p" * 5000, b"", [], 1024)[0].endswith("...")


def record_through(recorder: Recorder, headers) -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/segments",
        "query_string": b"",
        "headers": headers,
    }
    recorder.record(Exchange(scope, 0.0), 200)


def test_the_recorder_keeps_at_most_its_entry_bytes(caplog):
    journal = MemoryJournal(10)
    recorder = Recorder(journal, Masker(), lambda path: "actionhub", 2048)
    small = [(b"program-id", b"demo")]
    big = [(b"program-id", b"demo"), (b"x-pad", b"p" * 30_000)]
    with caplog.at_level(logging.WARNING):
        record_through(recorder, small)
        record_through(recorder, big)
    first, second = read(journal.records(), Masker())
    assert first.headers == {"program-id": "demo"} and first.warnings == ()
    assert len(second.headers["x-pad"]) < 2048 and second.headers["x-pad"].endswith("...")
    assert any("--journal-entry-bytes" in warning for warning in second.warnings)
