"""``mockserver verify``: the requests an app really made, sent to the mock and to a deployment,
and the answers compared (docs/REALITY.md). Exit 1 on a breaking difference, 2 when the run
cannot start."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

import httpx
import orjson

from mockserver.contract.credentials import Credentials, resolve
from mockserver.contract.writes import SAFE_METHODS
from mockserver.control import PREFIX
from mockserver.errors import DataError
from mockserver.journal.masking import SecretText, log_safe
from mockserver.limits import MAX_UPSTREAM_ANSWER
from mockserver.reality.checks import ApiChecks, Route
from mockserver.reality.options import VerifyOptions
from mockserver.reality.report import Difference, OperationTally, VerifyReport, compare
from mockserver.reality.sources import Sent, distinct, from_journal_document, read_requests
from mockserver.serialize import decode_json
from mockserver.vendors import vendor

EXIT_OK, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


class Pace:
    """At most ``rate`` (``N/s``, ``N/m``, ``N/h``; ``None``/``off``: unpaced) calls."""

    def __init__(self, rate: str | None) -> None:
        self.interval = 0.0
        if rate and rate != "off":
            count, _, unit = rate.partition("/")
            self.interval = _UNIT_SECONDS[unit] / int(count)
        self._last = float("-inf")

    def wait(self) -> None:
        delay = self._last + self.interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing calls to a real deployment, not synchronisation
        self._last = time.monotonic()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def media_type(self) -> str | None:
        value = next((v for n, v in self.headers if n == "content-type"), None)
        return value.split(";")[0].strip().lower() if value else None


class Unanswered(Exception):
    """No usable answer: why, in one line."""


def target(base: str, method: str, path: str, query: str, writes: bool) -> httpx.URL | str:
    """The URL a recorded request goes to at ``base``, or why it must not be sent: a recorded
    path decides where a real credential goes (``http://127.0.0.1:48`` + ``40/v3`` is port 4840)."""
    if method not in SAFE_METHODS and not writes:
        return f"{method} may change data (--allow-writes sends it)"
    if not path.startswith("/") or path.startswith("//"):
        return "its path does not start with a single /"
    try:
        origin = httpx.URL(base)
        url = httpx.URL(base + path + (f"?{query}" if query else ""))
    except (httpx.InvalidURL, ValueError) as exc:
        return f"not a URL ({exc})"
    if (url.scheme, url.host, url.port) != (origin.scheme, origin.host, origin.port):
        return f"it would go to {url.scheme}://{url.host}:{url.port}, not to {base}"
    return url


def fetch(
    http: httpx.Client,
    method: str,
    url: httpx.URL | str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 30.0,
    limit: int = MAX_UPSTREAM_ANSWER,
) -> Answer:
    """The answer within ``timeout`` seconds in total (checked per chunk; one read waits at most
    the client's timeout) and ``limit`` bytes (decoded), or :class:`Unanswered`: an endless or
    a trickling answer ends the read."""
    deadline = time.monotonic() + timeout
    try:
        with http.stream(method, url, headers=headers, content=body or None) as answer:
            chunks, size = [], 0
            for chunk in answer.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise Unanswered(f"an answer over {limit} bytes")
                if time.monotonic() > deadline:
                    raise Unanswered(f"the answer took longer than {timeout:g} s")
                chunks.append(chunk)
            pairs = tuple((k.lower(), v) for k, v in answer.headers.multi_items())
            return Answer(answer.status_code, pairs, b"".join(chunks))
    except httpx.HTTPError as exc:
        raise Unanswered(f"{type(exc).__name__}: {exc}") from None


def fetch_journal(url: str, timeout: float) -> list[Sent]:
    """Requests from a running mock's journal (read within ``timeout`` seconds in total and
    ``limits.MAX_UPSTREAM_ANSWER`` bytes)."""
    url, export = url.rstrip("/"), f"{PREFIX}/requests"  # a mock's URL, or its control URL
    where = url if url.endswith(export) else url.removesuffix(PREFIX) + export
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as http:
            answer = fetch(http, "GET", where, timeout=timeout)
    except Unanswered as exc:
        raise DataError(f"cannot read the journal at {where}: {exc}") from None
    if answer.status != 200:
        raise DataError(f"{where} answered {answer.status}, not the journal")
    try:
        document = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        raise DataError(f"{where} did not answer JSON") from None
    return from_journal_document(document, where)


@dataclass(frozen=True)
class Identity:
    """Where the API's credential comes from, for each side."""

    header: str
    real: Credentials
    mock: Credentials

    @property
    def given(self) -> bool:
        """``-H`` or the environment named it: it replaces the recorded value on both sides."""
        return self.real.source is not None

    def headers(self, sent: Sent, side: str) -> dict[str, str]:
        creds = self.real if side == "real" else self.mock
        out = sent.resent_headers()
        for name, value in creds.headers.items():
            if name.lower() != self.header:
                out[name.lower()] = value  # other -H headers: always
        if self.header not in dict(sent.headers):
            return out  # the app sent none: neither do we
        given = _value(self.real, self.header) if self.given else None
        if given is None and self.header not in out and side == "mock":
            given = _value(self.mock, self.header)  # masked: the mock takes its sample
        if given is not None:
            out[self.header] = given
        return out


def _value(creds: Credentials, header: str) -> str | None:
    return next((v for n, v in creds.headers.items() if n.lower() == header), None)


def call(
    http: httpx.Client, url: httpx.URL, sent: Sent, headers: Mapping[str, str], timeout: float
) -> Answer | str:
    """The answer to ``sent`` at ``url``, or why there is none."""
    try:
        return fetch(http, sent.method, url, dict(headers), sent.body, timeout)
    except Unanswered as exc:
        return f"no answer ({exc})"


def _json(answer: Answer):
    if "json" not in (answer.media_type or ""):
        return None
    try:
        return decode_json(answer.body)
    except ValueError:
        return None


def differences(
    checks: ApiChecks, route: Route | None, sent: Sent, mock: Answer, real: Answer | str
) -> list[Difference]:
    """How the real answer departs from the mock's."""
    if isinstance(real, str):
        return [Difference("answer", "", f"{mock.status}", real, True)]
    found = []
    if mock.status != real.status:
        found.append(_status_difference(route, mock.status, real.status))
    if mock.media_type != real.media_type:
        found.append(
            Difference("media type", "", mock.media_type or "none", real.media_type or "none", True)
        )
    operation = route.operation if route is not None else None
    if operation is not None:
        head = sent.method == "HEAD"
        known = {
            (v.where, v.path, v.message)
            for v in checks.response_violations(
                operation, mock.status, mock.headers, mock.body, head=head
            )
        }
        for violation in checks.response_violations(
            operation, real.status, real.headers, real.body, head=head
        ):
            if (violation.where, violation.path, violation.message) not in known:
                path = f"{violation.where} {violation.path}".rstrip()
                found.append(
                    Difference("spec", path, "conforms", violation.message, violation.breaking)
                )
    if mock.status == real.status:
        mock_doc, real_doc = _json(mock), _json(real)
        if mock_doc is not None and real_doc is not None:
            found += compare(mock_doc, real_doc)
    return found


def _status_difference(route: Route | None, mock: int, real: int) -> Difference:
    """A 404 on one side where the other has the resource is a value (an id one world has and
    the other not), not drift, when the path names a resource."""
    templated = route is not None and bool(route.path_params)
    one_side_only = templated and 404 in (mock, real) and min(mock, real) // 100 == 2
    if one_side_only:
        note = f"{real} (the path's id exists on one side only)"
        return Difference("status", "", str(mock), note, False)
    return Difference("status", "", str(mock), str(real), True)


def run(
    options: VerifyOptions,
    env: Mapping[str, str],
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    api = options.api
    real_creds = resolve(api, options.headers, env, bundled=False)
    mock_creds = resolve(api, options.headers, env, bundled=True)
    mask = SecretText(real_creds.secrets)
    report = VerifyReport(mask, out)
    source = str(options.requests or options.from_journal)
    try:
        if options.requests is not None:
            everything = read_requests(options.requests)
        else:
            everything = fetch_journal(source, options.timeout)
    except DataError as exc:
        err.write(mask(f"mockserver verify: {exc}") + "\n")
        return EXIT_USAGE
    chosen = [sent for sent in everything if sent.api in (None, api)]
    if not chosen:
        err.write(f"mockserver verify: no request of the {api} API in {source}\n")
        return EXIT_USAGE
    credential = vendor(api).credential
    identity = Identity(credential.header.lower(), real_creds, mock_creds)
    plan = distinct(chosen, SAFE_METHODS if options.allow_writes else None)
    pace = Pace(options.rate_limit or vendor(api).contract_pace)
    report.emit(
        f"mockserver verify: {api}: {len(chosen)} request(s), {len(plan)} distinct, from "
        f"{source}; the bundled mock against {options.base_url}"
    )
    report.emit(
        f"  {credential.header} from {real_creds.source or 'the recording, where unmasked'}; "
        f"rate limit {options.rate_limit or vendor(api).contract_pace}"
    )
    if not identity.given and any(
        "***" in dict(sent.headers).get(identity.header, "") for sent, _ in plan
    ):
        report.emit(
            f"  note: {credential.header} was masked in the recording and ${credential.env} is "
            "not set: those requests go to the deployment without it"
        )
    started = time.monotonic()
    tallies = compare_all(options, plan, identity, pace)
    seconds = time.monotonic() - started
    report.differences(tallies)
    report.summary(api, tallies, options.base_url, seconds)
    for chosen_report in options.reports:
        report.junit(api, tallies, chosen_report.path, seconds)
    if not any(tally.distinct for tally in tallies):
        err.write("mockserver verify: every request was refused: nothing was compared\n")
        return EXIT_USAGE
    return EXIT_DRIFT if any(tally.breaking for tally in tallies) else EXIT_OK


def compare_all(
    options: VerifyOptions, plan: list[tuple[Sent, int]], identity: Identity, pace: Pace
) -> list[OperationTally]:
    from mockserver.config import ServeConfig
    from mockserver.testing import LiveServer

    tallies: dict[str, OperationTally] = {}
    timeout = options.timeout
    config = ServeConfig(apis=(options.api,), cors_origins=())
    with (
        LiveServer(config, log_level="error") as mock,
        httpx.Client(timeout=options.timeout, follow_redirects=False) as http,
    ):
        checks = ApiChecks(mock.app.runtimes[options.api])
        for sent, times in plan:
            route = checks.route(sent.method, sent.path)
            operation = route.operation if route is not None else None
            label = operation.operation_id if operation is not None else None
            label = label or log_safe(f"{sent.method} {sent.path} (not in the spec)")
            tally = tallies.setdefault(label, OperationTally(label))
            urls = [
                target(base, sent.method, sent.path, sent.query, options.allow_writes)
                for base in (mock.url, options.base_url)
            ]
            refusal = sent.refusal or next((url for url in urls if isinstance(url, str)), None)
            if refusal is not None:
                tally.refuse(sent.label, refusal, times)
                continue
            mock_url, real_url = urls
            mock_answer = call(http, mock_url, sent, identity.headers(sent, "mock"), timeout)
            pace.wait()
            real_answer = call(http, real_url, sent, identity.headers(sent, "real"), timeout)
            if isinstance(mock_answer, str):  # the in-process mock answers all it is sent
                found = [Difference("answer", "", mock_answer, "not compared", False)]
            else:
                found = differences(checks, route, sent, mock_answer, real_answer)
            tally.add(sent.label, found, times)
    return list(tallies.values())
