"""Personal data at rest: what of a submission is personal, and how it is sealed.

A stored report keeps its non-personal facts readable in `submission` (county,
township, categories, indicators, household, occurred_at, each subject's role, sex and
age, the source's agency_type and mandated_reporter) and seals the personal part
(subjects' names, national IDs and birth dates; the reporter's name and phone and
agency name; the narrative) with safetynet.platform.crypto, bound to the report id.

Storage format, columns of intake_reports:
- personal_key_id: the key ring's KEK id that wrapped the data key;
- personal_wrapped_key: wrap nonce (12 bytes) + AES-256-GCM(KEK, data key) + tag;
- personal_nonce: 12 bytes;
- personal_ciphertext: AES-256-GCM(data key, UTF-8 JSON of the personal part) + tag,
  the personal part being {"narrative", "source": {…}, "subjects": [{…} per subject,
  in the submission's order]};
- pseudonymised_at: set when retention dropped the four columns above.
Both AES-GCM layers take "intake_reports/<report_id>" as associated data.

A row with no key id and no pseudonymised_at was written before encryption: it is read
as it is, and `safetynet crypto rotate` seals it.
"""

import copy
import json
from collections.abc import Mapping
from typing import Any, TypedDict, cast

from safetynet.intake.domain.reports import Submission, SubmittedSource, SubmittedSubject
from safetynet.platform.crypto import KeyRing, Sealed

PERSONAL_SUBJECT_FIELDS = ("name", "national_id", "birth_date")
PERSONAL_SOURCE_FIELDS = ("agency_name", "reporter_name", "reporter_phone")
SEALED_COLUMNS = ("personal_key_id", "personal_wrapped_key", "personal_nonce", "personal_ciphertext")


class PersonalPart(TypedDict, total=False):
    """What is sealed: the narrative, the source's personal fields, and each subject's
    (in the submission's order; an empty one for a subject without any)."""

    narrative: str
    source: dict[str, str]
    subjects: list[dict[str, str]]


class SealedColumns(TypedDict):
    """The columns that store a submission: its facts readable, its personal part sealed
    (all four None once retention purged it)."""

    submission: Submission
    personal_key_id: str | None
    personal_wrapped_key: bytes | None
    personal_nonce: bytes | None
    personal_ciphertext: bytes | None


def split(submission: Submission) -> tuple[Submission, PersonalPart]:
    """(the non-personal facts, the personal part) of a submission."""
    public: dict[str, Any] = copy.deepcopy(dict(submission))  # taken apart field by field, by name
    personal = PersonalPart()
    if "narrative" in public:
        personal["narrative"] = public.pop("narrative")
    source = public.get("source")
    if isinstance(source, dict):
        taken = {k: source.pop(k) for k in PERSONAL_SOURCE_FIELDS if k in source}
        if taken:
            personal["source"] = taken
    subjects = [{k: s.pop(k) for k in PERSONAL_SUBJECT_FIELDS if k in s} for s in public.get("subjects", [])]
    if any(subjects):
        personal["subjects"] = subjects
    return cast(Submission, public), personal


def merge(public: Submission, personal: PersonalPart) -> Submission:
    """The submission again, from its two parts."""
    submission = copy.deepcopy(public)
    if "narrative" in personal:
        submission["narrative"] = personal["narrative"]
    if personal.get("source"):
        submission["source"] = cast(SubmittedSource, {**submission.get("source", {}), **personal["source"]})
    for subject, fields in zip(submission.get("subjects", []), personal.get("subjects", [])):
        subject.update(cast(SubmittedSubject, fields))
    return submission


def is_sealed(row: Mapping[str, object]) -> bool:
    return row.get("personal_key_id") is not None


class ReportCipher:
    """Seals and opens the personal part of intake's reports with a key ring."""

    def __init__(self, ring: KeyRing):
        self.ring = ring

    @property
    def active_key_id(self) -> str:
        return self.ring.active_id

    def seal(self, report_id: str, submission: Submission) -> SealedColumns:
        """The column values that store `submission` for `report_id`."""
        public, personal = split(submission)
        plaintext = json.dumps(personal, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = self.ring.seal(plaintext, context=_context(report_id))
        return {
            "submission": public,
            "personal_key_id": sealed.key_id,
            "personal_wrapped_key": sealed.wrapped_key,
            "personal_nonce": sealed.nonce,
            "personal_ciphertext": sealed.ciphertext,
        }

    def reveal(self, report_id: str, row: Mapping[str, Any]) -> Submission:
        """The submission of a stored row (its columns, SealedColumns among them), personal
        part included while it is kept. Raises DecryptionError when it does not open."""
        if not is_sealed(row):
            return cast(Submission, dict(row["submission"]))  # purged, or written before encryption
        sealed = Sealed(
            key_id=row["personal_key_id"],
            wrapped_key=bytes(row["personal_wrapped_key"]),
            nonce=bytes(row["personal_nonce"]),
            ciphertext=bytes(row["personal_ciphertext"]),
        )
        personal: PersonalPart = json.loads(self.ring.open(sealed, context=_context(report_id)))
        return merge(row["submission"], personal)


def purged_columns(submission: Submission) -> SealedColumns:
    """The column values of a report whose personal part is purged."""
    return {
        "submission": split(submission)[0],
        "personal_key_id": None,
        "personal_wrapped_key": None,
        "personal_nonce": None,
        "personal_ciphertext": None,
    }


def _context(report_id: str) -> bytes:
    return b"intake_reports/" + report_id.encode()
