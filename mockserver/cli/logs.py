"""How ``serve`` logs: text for people, or one JSON object a line for log collectors
(``--log-format json``). One ``logging.config`` dict sets up our loggers and uvicorn's; uvicorn
applies it again in every ``--workers`` process, so each logs alike."""

from __future__ import annotations

import copy
import logging
from datetime import datetime, timezone
from typing import Any

import orjson

from mockserver.config import LOG_FORMAT

#: Fields an access line carries besides its message (``journal.recorder``, as ``extra``).
ACCESS_FIELDS = ("method", "path", "status", "ms", "warnings")


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message (and the access fields of an
    access line; the traceback of an error). Messages are those of the text format, so what
    is masked there is masked here."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ACCESS_FIELDS:
            if name in record.__dict__:
                entry[name] = record.__dict__[name]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def log_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of ``serve`` at ``level``: our lines on stderr, and
    uvicorn's in its own text format, or every line as JSON."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["disable_existing_loggers"] = False
    if log_format == "json":
        config["formatters"]["mockserver"] = {"()": f"{__name__}.JsonFormatter"}
        for handler in config["handlers"].values():
            handler["formatter"] = "mockserver"
    else:
        config["formatters"]["mockserver"] = {"format": LOG_FORMAT}
    config["handlers"]["mockserver"] = {
        "class": "logging.StreamHandler",
        "formatter": "mockserver",
        "stream": "ext://sys.stderr",
    }
    config["root"] = {"level": level.upper(), "handlers": ["mockserver"]}
    return config


def configure(level: str, log_format: str = "text") -> dict[str, Any]:
    """Set up this process's logging unless its host did (as ``logging.basicConfig``: a test
    calling ``main`` keeps pytest's); returns the config, for uvicorn to apply in workers."""
    import logging.config

    config = log_config(level, log_format)
    if not logging.getLogger().handlers:
        logging.config.dictConfig(config)
    return config
