"""The phone and walk-in report form (phone_report.py) as the contract's JSON, and the
contract's refusals as messages in Traditional Chinese next to each field.

Fields are named by their path in the contract (`source.reporter_name`,
`subjects.0.national_id`), so a refusal's `loc` names the field it belongs to. Blank
fields are left out, never sent as "", so a required one is refused as missing and an
optional one stays absent; numbers and yes/no choices that do not parse are passed on as
typed, for the contract to refuse as the API would."""

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from safetynet.contracts.report import Household, Indicators
from safetynet.intake.entrypoints.console import labels

SUBJECT_FIELDS = ("role", "name", "national_id", "birth_date", "age", "sex")
SUBJECT_LABELS = {
    "role": "身分",
    "name": "姓名",
    "national_id": "身分證字號",
    "birth_date": "出生日期",
    "age": "年齡",
    "sex": "性別",
}
SOURCE_FIELDS = ("agency_type", "agency_name", "reporter_name", "reporter_phone", "mandated_reporter")
FIELD_LABELS = {
    "source.channel": "來源管道",
    "township": "鄉鎮市區",
    "source.agency_type": "通報人類別",
    "source.agency_name": "通報人單位",
    "source.reporter_name": "通報人姓名",
    "source.reporter_phone": "通報人電話",
    "source.mandated_reporter": "責任通報人員",
    "categories": "通報類別",
    "occurred_at": "發生時間",
    "subjects": "當事人",
    "narrative": "通報內容",
    **{f"household.{k}": v for k, v in labels.HOUSEHOLD.items()},
    **{f"indicators.{k}": v for k, v in labels.INDICATOR.items()},
}
CHANNELS = {"hotline_113": "113 保護專線 Hotline", "phone": "其他電話 Other phone", "walk_in": "臨櫃 Walk-in"}
DEFAULT_ROWS, MAX_ROWS = 3, 50
_INTEGER = re.compile(r"[+-]?\d{1,9}")
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,200}")


def _kind(schema: dict[str, Any]) -> str | None:
    types = {t.get("type") for t in schema.get("anyOf", [schema])} - {"null"}
    if any("enum" in t for t in schema.get("anyOf", [schema])):
        return "choice"
    return {frozenset({"boolean"}): "flag", frozenset({"integer"}): "number"}.get(frozenset(types))


# The indicators and household counts as the contract lists them: a new flag or count in
# the contract appears in the form by itself (nested blocks are left to the API).
INDICATOR_FIELDS = {n: k for n, s in Indicators.model_json_schema()["properties"].items() if (k := _kind(s))}
HOUSEHOLD_FIELDS = tuple(Household.model_json_schema()["properties"])


@dataclass
class ReportForm:
    """What was typed (to show again) and the contract's JSON built from it."""

    values: dict[str, str] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    rows: int = DEFAULT_ROWS
    body: dict[str, Any] = field(default_factory=dict)
    subject_rows: list[int] = field(default_factory=list)  # the form row of each subject sent
    token: str | None = None  # the form's idempotency token


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(raw: str) -> int | str:
    return int(raw) if _INTEGER.fullmatch(raw) else raw


def _flag(raw: str) -> bool | str:
    return {"true": True, "false": False}.get(raw, raw)


def _typed(kind: str | None, raw: str) -> Any:
    return _number(raw) if kind == "number" else _flag(raw) if kind == "flag" else raw


def _rows(form: FormData) -> int:
    raw = _text(form, "subject_rows")
    rows = int(raw) if raw.isdigit() else DEFAULT_ROWS
    return max(1, min(rows, MAX_ROWS))


def read_form(form: FormData, *, county: str) -> ReportForm:
    """The form as typed, and as the contract's JSON for `county` (the dispatcher's)."""
    parsed = ReportForm(rows=_rows(form))
    token = _text(form, "submission_token")
    parsed.token = token if _TOKEN.fullmatch(token) else None
    names = ["source.channel", "township", "occurred_at", "narrative"]
    names += [f"source.{n}" for n in SOURCE_FIELDS]
    names += [f"household.{n}" for n in HOUSEHOLD_FIELDS] + [f"indicators.{n}" for n in INDICATOR_FIELDS]
    names += [f"subjects.{row}.{n}" for row in range(parsed.rows) for n in SUBJECT_FIELDS]
    parsed.values = {name: value for name in names if (value := _text(form, name))}
    parsed.categories = [c for c in form.getlist("categories") if isinstance(c, str) and c]
    v = parsed.values
    body: dict[str, Any] = {"county": county, "categories": parsed.categories}
    for name in ("township", "narrative"):
        if name in v:
            body[name] = v[name]
    if "occurred_at" in v:
        typed = v["occurred_at"]
        if _LOCAL_TIME.fullmatch(typed):  # a datetime-local field: Taipei time, to the minute
            typed = f"{typed}:00+08:00" if typed.count(":") == 1 else f"{typed}+08:00"
        body["occurred_at"] = typed
    source: dict[str, Any] = {n: v[f"source.{n}"] for n in ("channel", *SOURCE_FIELDS) if f"source.{n}" in v}
    if "mandated_reporter" in source:
        source["mandated_reporter"] = _flag(source["mandated_reporter"])
    body["source"] = source
    household = {n: _number(v[f"household.{n}"]) for n in HOUSEHOLD_FIELDS if f"household.{n}" in v}
    if household:
        body["household"] = household
    indicators = {n: _typed(k, v[f"indicators.{n}"]) for n, k in INDICATOR_FIELDS.items() if f"indicators.{n}" in v}
    if indicators:
        body["indicators"] = indicators
    subjects = []
    for row in range(parsed.rows):
        typed_row: dict[str, Any] = {n: v[f"subjects.{row}.{n}"] for n in SUBJECT_FIELDS if f"subjects.{row}.{n}" in v}
        if typed_row:  # an empty row is no subject
            if "age" in typed_row:
                typed_row["age"] = _number(typed_row["age"])
            subjects.append(typed_row)
            parsed.subject_rows.append(row)
    body["subjects"] = subjects
    parsed.body = body
    return parsed


# The contract's refusal types (pydantic's, and the API's own) in staff's words.
MESSAGES = {
    "missing": "必填。",
    "string_too_short": "必填。",
    "too_short": "請至少填寫一項。",
    "string_too_long": "太長了，超過字數上限。",
    "too_long": "項目太多了。",
    "literal_error": "請從選項中選擇。",
    "int_type": "請填整數。",
    "int_parsing": "請填整數。",
    "greater_than_equal": "數值太小，超出允許範圍。",
    "less_than_equal": "數值太大，超出允許範圍。",
    "bool_type": "請選擇「是」或「否」。",
    "county_not_configured": "不是已設定的縣市。",
}
VALUE_ERRORS = {
    "national_id": "身分證字號不正確：須為 1 個英文字母加 9 位數字，且檢查碼相符。",
    "birth_date": "出生日期須為 YYYY-MM-DD，且不能晚於今天。",
    "occurred_at": "請填寫有效的日期與時間。",
}


def _field_of(loc: list[Any], parsed: ReportForm) -> str:
    path = [p for p in loc if p != "body"]
    if len(path) >= 2 and path[0] == "subjects" and isinstance(path[1], int):
        row = parsed.subject_rows[path[1]] if path[1] < len(parsed.subject_rows) else path[1]
        return f"subjects.{row}.{path[2]}" if len(path) > 2 else "subjects"
    name = ".".join(str(p) for p in path)
    while name and name not in FIELD_LABELS:  # categories.0 -> categories
        name = name.rpartition(".")[0]
    return name or "form"


def _message(problem: dict[str, Any], name: str) -> str:
    kind = problem.get("type", "")
    if kind == "value_error":
        return VALUE_ERRORS.get(name.rpartition(".")[2], "內容不正確。")
    if name == "subjects" and kind in ("too_short", "missing"):
        return "請至少填寫一位當事人。"
    if name == "categories" and kind in ("too_short", "missing"):
        return "請至少勾選一個類別。"
    return MESSAGES.get(kind, "內容不正確。")


def field_errors(problems: list[dict[str, Any]], parsed: ReportForm) -> dict[str, tuple[str, str]]:
    """Field name -> (message in Chinese, the contract's own words), first refusal each."""
    errors: dict[str, tuple[str, str]] = {}
    for problem in problems:
        name = _field_of(list(problem.get("loc", [])), parsed)
        errors.setdefault(name, (_message(problem, name), str(problem.get("msg", ""))))
    return errors


def field_label(name: str) -> str:
    """A field's label for the error summary."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "subjects":
        return f"當事人 {int(parts[1]) + 1} {SUBJECT_LABELS.get(parts[2], parts[2])}"
    return FIELD_LABELS.get(name, "表單")
