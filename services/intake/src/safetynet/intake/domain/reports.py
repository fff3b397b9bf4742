"""A report as intake keeps it: the partner's submission (as the contract's JSON, its
personal part opened, still sealed away, or purged by retention) and the facts intake
adds at acceptance. Typed dictionaries: the submission is a JSON document, and a record
is a row's columns."""

from datetime import datetime
from typing import TypedDict


class SubmittedSubject(TypedDict, total=False):
    role: str
    sex: str
    age: int
    name: str  # personal: sealed at rest, gone once purged
    national_id: str  # personal
    birth_date: str  # personal


class SubmittedSource(TypedDict, total=False):
    agency_type: str
    mandated_reporter: bool
    channel: str  # hotline_113, phone, walk_in: keyed in at the console
    agency_name: str  # personal
    reporter_name: str  # personal
    reporter_phone: str  # personal


class Submission(TypedDict, total=False):
    """ReportSubmission's JSON (contracts/report.py): optional blocks are absent, not null."""

    county: str
    township: str
    categories: list[str]
    occurred_at: str
    subjects: list[SubmittedSubject]
    source: SubmittedSource
    household: dict[str, int]
    indicators: dict[str, bool | int | str]
    narrative: str  # personal


class NewReport(TypedDict):
    """What acceptance stores; the repository seals the submission's personal part."""

    report_id: str
    county: str
    township: str
    agency_type: str
    agency_name: str
    agency_county: str | None  # None only on rows older than the column
    key_id: str
    received_at: datetime
    sla_due_at: datetime
    categories: list[str]
    submission: Submission
    trace: dict[str, str] | None  # the W3C trace context of the accepting request


class StoredReport(NewReport):
    """A report as read back."""

    pseudonymised_at: datetime | None  # when retention purged the personal part


class AcceptedBody(TypedDict):
    """The 202 answer to a report, also kept for Idempotency-Key replays."""

    report_id: str
    received_at: str
    sla_due_at: str
    status_url: str


class IdempotentReply(TypedDict):
    """The first answer to a key's Idempotency-Key, replayed to a retry of the same body."""

    body_sha256: str
    status_code: int
    response: AcceptedBody


class ReportFacts(TypedDict):
    """What the queue and the ops view show of a report beside its view."""

    county: str
    township: str
    categories: list[str]
    received_at: datetime
