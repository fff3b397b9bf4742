"""The partner-facing report: intake API v1, exactly as DOMAIN.md names it.

The contract is strict: unknown fields and values of the wrong JSON type are rejected,
so a misspelt indicator can never silently lower a risk light.
"""

from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)

from safetynet.contracts.national_id import national_id_problem, normalize_national_id

TAIPEI = timezone(timedelta(hours=8), "Asia/Taipei")

AgencyType = Literal[
    "police",
    "school",
    "hospital",
    "health",
    "social_welfare",
    "household_registration",
    "labor",
    "judicial",
    "civil_affairs",
    "ngo",
    "public",
]
PROTECTION_CATEGORIES = (
    "intimate_partner_violence",
    "other_family_violence",
    "child_maltreatment",
    "sexual_assault",
    "child_sexual_exploitation",
    "elder_abuse",
    "disability_abuse",
)
Category = Literal[
    "intimate_partner_violence",
    "other_family_violence",
    "child_maltreatment",
    "sexual_assault",
    "child_sexual_exploitation",
    "elder_abuse",
    "disability_abuse",
    "vulnerable_family",
    "social_assistance",
    "suicide_risk",
    "suspected_mental_illness",
    "youth_deviance",
    "other",
]
Role = Literal["victim", "offender", "child", "youth", "adult"]
Sex = Literal["F", "M", "X"]
Injury = Literal["none", "minor", "severe"]
RiskLevel = Literal["red", "orange", "yellow", "green"]
DestinationKind = Literal["protection", "welfare_center", "mental_health", "youth_counseling"]
ReportStatus = Literal["received", "awaiting_review", "assigned", "acknowledged", "closed"]
Channel = Literal["hotline_113", "phone", "walk_in"]

ShortText = Annotated[StrictStr, Field(max_length=200)]


def _iso_date(value: Any) -> Any:
    # JSON has no date type: only an ISO-8601 string is a date. A number, or a string of
    # digits, is not a Unix timestamp in disguise.
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("must be an ISO-8601 date string (YYYY-MM-DD)")


def _iso_datetime(value: Any) -> Any:
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str) or "T" not in value.upper():
        raise ValueError("must be an ISO-8601 date-time string, e.g. 2026-11-20T21:30:00+08:00")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be an ISO-8601 date-time, e.g. 2026-11-20T21:30:00+08:00") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text; refuse it here, naming the field.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class Source(_Strict):
    agency_type: AgencyType | None = None
    agency_name: ShortText | None = None
    reporter_name: ShortText | None = None
    reporter_phone: Annotated[StrictStr, Field(max_length=40)] | None = None
    mandated_reporter: StrictBool | None = None
    # How the report reached the center when a dispatcher keyed it in at the console: a
    # call to the 113 hotline, another phone line, or in person. Partner systems leave it
    # out (the API refuses it): their reports come through the API.
    channel: Channel | None = None


class Subject(_Strict):
    role: Role
    name: ShortText | None = None
    national_id: StrictStr | None = None
    birth_date: date | None = None
    age: Annotated[StrictInt, Field(ge=0, le=130)] | None = None
    sex: Sex | None = None

    _iso_birth_date = field_validator("birth_date", mode="before")(_iso_date)

    @field_validator("national_id")
    @classmethod
    def _valid_national_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalized = normalize_national_id(value)
        problem = national_id_problem(normalized)
        if problem:
            raise ValueError(f"invalid national ID: {problem}")
        return normalized

    @field_validator("birth_date")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > datetime.now(TAIPEI).date():
            raise ValueError("birth date is in the future")
        return value

    def age_on(self, day: date) -> int | None:
        """Whole years on `day`; birth_date wins over age, and neither means unknown."""
        if self.birth_date is None:
            return self.age
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return max(years, 0)


class Household(_Strict):
    children_under_6: Annotated[StrictInt, Field(ge=0, le=50)] | None = None
    children_under_18: Annotated[StrictInt, Field(ge=0, le=50)] | None = None


Bsrs5Item = Annotated[StrictInt, Field(ge=0, le=4)]


class Bsrs5(_Strict):
    """The Brief Symptom Rating Scale (BSRS-5, 簡式健康量表 / 心情溫度計), as scored.

    `items`: sleep difficulty, tension, irritability, low mood, feeling inferior, in that
    order (exactly five, each 0–4); `suicide`: the extra item, suicidal thoughts (0–4).
    Strict like every indicator: "3" or 3.0 is a 422 naming the item."""

    items: Annotated[list[Bsrs5Item], Field(min_length=5, max_length=5)]
    suicide: Bsrs5Item

    @property
    def total(self) -> int:
        return sum(self.items)


class Indicators(_Strict):
    tipvda_score: Annotated[StrictInt, Field(ge=0, le=15)] | None = None
    injury: Injury | None = None
    weapon: StrictBool | None = None
    threat_to_kill: StrictBool | None = None
    offender_lives_with_victim: StrictBool | None = None
    suicide_attempt: StrictBool | None = None
    suicide_ideation: StrictBool | None = None
    suspected_mental_illness: StrictBool | None = None
    youth_law_violation: StrictBool | None = None
    economic_hardship: StrictBool | None = None
    # Decision model v1.1 (rule 3): scored by the reporter where suspected mental illness is
    # screened; optional, and without it nothing in the decision changes.
    bsrs5: Bsrs5 | None = None


class ReportSubmission(_Strict):
    """POST /v1/reports body."""

    county: Annotated[StrictStr, Field(min_length=1, max_length=20)]
    township: Annotated[StrictStr, Field(min_length=1, max_length=20)]
    source: Source | None = None
    categories: Annotated[list[Category], Field(min_length=1, max_length=13)]
    occurred_at: datetime | None = None
    subjects: Annotated[list[Subject], Field(min_length=1, max_length=50)]
    household: Household | None = None
    indicators: Indicators | None = None
    narrative: Annotated[StrictStr, Field(min_length=1, max_length=20_000)]

    _iso_occurred_at = field_validator("occurred_at", mode="before")(_iso_datetime)

    @field_validator("categories")
    @classmethod
    def _dedupe_categories(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # A naive time is ambiguous across agencies; the contract's examples carry +08:00.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=TAIPEI)
        return value


class ReportAccepted(BaseModel):
    """202 body of POST /v1/reports."""

    report_id: str
    received_at: datetime
    sla_due_at: datetime
    status_url: str
