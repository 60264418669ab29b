"""Sync an ActionHub segment into SendGrid: the people ActionHub says are in a segment become
SendGrid contacts on a list, and a v2 segment on that list counts them.

    python -m examples.actionhub_to_sendgrid.sync --labels col-bestsellers \\
        --actionhub http://127.0.0.1:4010 --sendgrid http://127.0.0.1:4010

Each side through its usual client: httpx for ActionHub (``GET /segment`` answers plaintext user
ids), the official ``sendgrid`` package for SendGrid. Transient failures (429, 5xx) are retried
with backoff; SendGrid's contact upserts are asynchronous jobs, waited for before the segment is
refreshed and read.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

#: Contacts one upsert carries (SendGrid takes up to 30,000 per request).
BATCH = 10_000
#: Statuses worth another try after a pause.
TRANSIENT = frozenset({429, 500, 502, 503, 504})
ALL_CONTACTS = "SELECT contact_id, updated_at FROM contact_data"
T = TypeVar("T")


class SyncError(Exception):
    """The sync cannot finish (an answer that is not transient, or retries exhausted)."""


@dataclass
class Retry:
    """How transient failures are retried: ``attempts`` tries, pauses doubling from ``pause``."""

    attempts: int = 5
    pause: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    #: What was retried, for the report: (what, status).
    log: list[tuple[str, int]] = field(default_factory=list)

    def run(
        self, what: str, call: Callable[[], T], status_of: Callable[[Exception], int | None]
    ) -> T:
        delay = self.pause
        for attempt in range(1, self.attempts + 1):
            try:
                return call()
            except Exception as error:
                status = status_of(error)
                if status not in TRANSIENT or attempt == self.attempts:
                    raise SyncError(f"{what}: {error}") from error
                self.log.append((what, status))
                self.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def http_status(error: Exception) -> int | None:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code
    if isinstance(error, HTTPError):
        return int(error.status_code)
    return None


@dataclass
class Report:
    list_id: str
    segment_id: str
    members: int
    created: int
    updated: int
    segment_count: int | None
    retried: list[tuple[str, int]]


class ActionHub:
    """The ActionHub Segments API: who is in a segment."""

    def __init__(self, http: httpx.Client, program_id: str, retry: Retry) -> None:
        self.http = http
        self.program_id = program_id
        self.retry = retry

    def members(self, labels: str) -> list[str]:
        def call() -> list[str]:
            response = self.http.get(
                "/segment", params={"labels": labels}, headers={"program-id": self.program_id}
            )
            response.raise_for_status()
            return response.text.split()

        return self.retry.run("ActionHub GET /segment", call, http_status)


class SendGrid:
    """The SendGrid calls the sync makes, through the official client."""

    def __init__(self, client: SendGridAPIClient, retry: Retry) -> None:
        self.api = client.client
        self.retry = retry

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        response = self.retry.run(f"SendGrid {what}", call, http_status)
        return json.loads(response.body) if response.body else None

    def list_named(self, name: str) -> str:
        """The id of the list ``name``, created if there is none."""
        token = None
        while True:
            params = {"page_size": 1000, **({"page_token": token} if token else {})}
            page = self._call(
                "GET lists", lambda params=params: self.api.marketing.lists.get(query_params=params)
            )
            for item in page["result"]:
                if item["name"] == name:
                    return item["id"]
            following = page["_metadata"].get("next")
            if not following:
                break
            token = following.rsplit("page_token=", 1)[1]
        made = self._call(
            "POST lists", lambda: self.api.marketing.lists.post(request_body={"name": name})
        )
        return made["id"]

    def upsert(self, emails: list[str], list_id: str) -> Iterator[str]:
        """Upsert the contacts in batches; the job id of each."""
        for start in range(0, len(emails), BATCH):
            body = {
                "list_ids": [list_id],
                "contacts": [{"email": e} for e in emails[start : start + BATCH]],
            }
            answer = self._call(
                "PUT contacts", lambda body=body: self.api.marketing.contacts.put(request_body=body)
            )
            yield answer["job_id"]

    def job(self, job_id: str) -> dict[str, Any]:
        imports = self.api.marketing.contacts.imports
        return self._call("GET import status", lambda: imports._(job_id).get())

    def segment_on(self, list_id: str, name: str) -> str:
        """The id of the v2 segment ``name``, created on the list if there is none."""
        v2 = self.api.marketing.segments._("2.0")
        listed = self._call(
            "GET segments", lambda: v2.get(query_params={"parent_list_ids": list_id})
        )
        for segment in listed["results"]:
            if segment["name"] == name:
                return segment["id"]
        body = {"name": name, "query_dsl": ALL_CONTACTS, "parent_list_ids": [list_id]}
        return self._call("POST segments", lambda: v2.post(request_body=body))["id"]

    def refreshed_count(self, segment_id: str) -> int | None:
        """Refresh the segment and read its count; ``None`` when SendGrid refuses a refresh now
        (its limits: once an hour, twice a day) - the count would be the last refresh's."""
        v2 = self.api.marketing.segments._("2.0")
        try:
            v2.refresh._(segment_id).post(request_body={"user_time_zone": "UTC"})
        except HTTPError as error:
            if error.status_code == 429:
                return None
            raise SyncError(f"SendGrid refresh: {error}") from error
        return self._call("GET segment", lambda: v2._(segment_id).get())["contacts_count"]


def email_of(user_id: str) -> str:
    """Where the app mails a user (a real app would look the address up)."""
    return f"{user_id.lower()}@users.example.com"


def sync(
    actionhub: ActionHub,
    sendgrid: SendGrid,
    labels: str,
    list_name: str,
    segment_name: str,
    wait: Callable[[], None] = lambda: time.sleep(1),
    max_polls: int = 120,
) -> Report:
    """Everyone in the ActionHub segment ``labels`` onto the SendGrid list, the segment on it
    refreshed: a report of what was done."""
    users = actionhub.members(labels)
    list_id = sendgrid.list_named(list_name)
    created = updated = 0
    for job_id in list(sendgrid.upsert([email_of(u) for u in users], list_id)):
        for _ in range(max_polls):
            status = sendgrid.job(job_id)
            if status["status"] != "pending":
                break
            wait()
        else:
            raise SyncError(f"job {job_id} still pending after {max_polls} polls")
        if status["status"] != "completed":
            raise SyncError(f"job {job_id}: {status['status']}")
        created += status["results"].get("created_count", 0)
        updated += status["results"].get("updated_count", 0)
    segment_id = sendgrid.segment_on(list_id, segment_name)
    count = sendgrid.refreshed_count(segment_id)
    return Report(list_id, segment_id, len(users), created, updated, count, actionhub.retry.log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", required=True, help="the ActionHub segment (its labels)")
    parser.add_argument("--actionhub", default="http://127.0.0.1:4010")
    parser.add_argument("--program-id", default="demo")
    parser.add_argument("--sendgrid", default="https://api.sendgrid.com")
    parser.add_argument("--list", default="ActionHub sync")
    parser.add_argument("--segment", default="ActionHub sync: everyone")
    args = parser.parse_args()
    retry = Retry()
    with httpx.Client(base_url=args.actionhub, timeout=30) as http:
        client = SendGridAPIClient(os.environ["SENDGRID_API_KEY"], host=args.sendgrid)
        report = sync(
            ActionHub(http, args.program_id, retry),
            SendGrid(client, retry),
            args.labels,
            args.list,
            args.segment,
        )
    print(json.dumps(report.__dict__, indent=2))


if __name__ == "__main__":
    main()
