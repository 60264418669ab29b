"""``serve --log-format json``: one JSON object a line, for every kind of line, secrets masked."""

from __future__ import annotations

import logging
import sys

import httpx
import orjson

from mockserver.cli.logs import JsonFormatter, log_config
from mockserver.progress import Reporter
from tests.cli.test_banner import serve_log
from tests.conftest import PROGRAM
from tests.harness import live_server


def records(log: str) -> list[dict]:
    """Every line of ``log`` as JSON (fails on a line that is not)."""
    return [orjson.loads(line) for line in log.splitlines() if line.strip()]


def test_every_line_of_a_served_session_is_one_json_object():
    log = serve_log("--api", "actionhub", "--log-format", "json", "--control-token", "tok3n")
    entries = records(log)
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
        assert entry["time"].endswith("+00:00")
    banners = [e for e in entries if e["message"].startswith("mockserver 0.1.0 serving on")]
    assert len(banners) == 1 and banners[0]["level"] == "INFO"
    assert "/segments  get_segments_segments_get" in banners[0]["message"]
    warning = next(e for e in entries if "--control-token is visible" in e["message"])
    assert warning["level"] == "WARNING" and warning["logger"] == "mockserver"
    uvicorn = [e for e in entries if e["logger"] == "uvicorn.error"]
    assert any("Uvicorn running on" in e["message"] for e in uvicorn)
    access = next(e for e in entries if e["logger"] == "mockserver.access")
    assert access["method"] == "GET" and access["path"] == "/segments"
    assert access["status"] == 200 and isinstance(access["ms"], float)
    assert access["warnings"] == []
    assert "tok3n" not in log


def test_an_access_line_masks_secrets_and_carries_its_warnings(caplog):
    caplog.set_level(logging.INFO, logger="mockserver.access")
    with live_server(apis=("actionhub",)) as live:
        httpx.get(live.url + "/segments", params={"api_key": "hush"}, headers=PROGRAM)
    record = next(r for r in caplog.records if r.name == "mockserver.access")
    entry = orjson.loads(JsonFormatter().format(record))
    assert entry["path"] == "/segments?api_key=***"
    assert entry["warnings"] == ['unknown query parameter "api_key"']
    assert entry["message"].startswith("GET /segments?api_key=*** 200 ")
    assert "hush" not in orjson.dumps(entry).decode()


def test_a_progress_line_and_an_error_with_its_traceback(caplog):
    caplog.set_level(logging.INFO, logger="mockserver.progress")
    Reporter(threshold=0, interval=0).task("Big world", 2).finish("7 things")
    entry = orjson.loads(JsonFormatter().format(caplog.records[-1]))
    assert entry["logger"] == "mockserver.progress" and entry["level"] == "INFO"
    assert entry["message"].startswith("Big world: 7 things built in ")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "mockserver", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    entry = orjson.loads(JsonFormatter().format(record))
    assert entry["level"] == "ERROR" and "ValueError: boom" in entry["exception"]


def test_text_keeps_uvicorn_s_format_and_json_takes_over_every_handler():
    text = log_config("info")
    assert text["root"] == {"level": "INFO", "handlers": ["mockserver"]}
    assert text["formatters"]["mockserver"] == {"format": "%(levelname)s %(name)s: %(message)s"}
    assert text["handlers"]["default"]["formatter"] == "default"  # uvicorn's own
    json = log_config("warning", "json")
    assert json["root"]["level"] == "WARNING"
    assert {h["formatter"] for h in json["handlers"].values()} == {"mockserver"}
    assert json["disable_existing_loggers"] is False
