"""Logs and traces carry no personal data.

Reports with distinctive names, national IDs, phone numbers, birth dates and narratives go
through the whole pipeline (intake, screening, routing, notify, the SLA clock) and through
the dispatcher's and the unit's actions, whose free-text reasons also name the person, as
staff write them. Then every captured log record (caplog, with the root logger at DEBUG:
every logger that propagates, at the level it is enabled for) and every line the JSON
formatter wrote, and every finished span (name, attributes, events, links, status,
resource) is searched for those strings.

The same is done for `safetynet dev` as a subprocess, whose stdout and stderr (JSON log
lines, and the spans themselves with OTEL_TRACES_EXPORTER=console) go to one file; and for
the paths a normal run does not take: a database failure (a 500 logged with its
traceback), the SQLite driver's DEBUG log, and 422 answers to hostile action bodies.
"""

import io
import json
import logging
import os
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import text

from safetynet.cli import telemetry
from tests.support.processes import Process, free_port, mint_key
from tests.support.scenarios import SCENARIOS, random_national_id
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e

RED = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")  # 苗栗縣, assigned at once
CO_CASE = next(s for s in SCENARIOS if s.name == "ipv_with_mental_illness")  # 苗栗縣, awaiting review
GREEN = next(s for s in SCENARIOS if s.name == "vulnerable_family_mapped")  # 苗栗縣, awaiting review


@dataclass(frozen=True)
class Person:
    """Personal data that must never appear in a log line or a span. Each value carries an
    ASCII token (Qzx…) as well, found however the text around it was escaped (JSON with
    ensure_ascii, a repr of bytes)."""

    name: str
    national_id: str
    phone: str
    birth_date: str
    reporter: str
    narrative: str

    @property
    def secrets(self) -> dict[str, list[str]]:
        """Each field and the strings that betray it."""
        fields = {
            "name": self.name,
            "national_id": self.national_id,
            "phone": self.phone,
            "birth_date": self.birth_date,
            "reporter_name": self.reporter,
            "narrative": self.narrative,
        }
        return {
            field: sorted({value, json.dumps(value)[1:-1], *re.findall(r"Qzx\w+?\d+", value)})
            for field, value in fields.items()
        }


def person(n: int) -> Person:
    rng = random.Random(1000 + n)
    return Person(
        name=f"鄭秘密{n}號Qzxname{n}",
        national_id=random_national_id(rng),
        phone=f"0933-71{n}-58{n}",
        birth_date=f"1987-03-1{n}",
        reporter=f"報案人祕{n}Qzxreporter{n}",
        narrative=f"Qzxnarrative{n} 鄰居聽到鄭秘密{n}號哭喊",
    )


def report_body(scenario: Any, who: Person, *, lower_case_id: bool = False) -> dict[str, Any]:
    """`scenario`'s report with `who` as its first subject and reporter."""
    first, *others = scenario.body["subjects"]
    subject = {
        **first,
        "name": who.name,
        "birth_date": who.birth_date,
        "national_id": who.national_id.lower() if lower_case_id else who.national_id,
    }
    subject.pop("age", None)
    return {
        **scenario.body,
        "subjects": [subject, *others],
        "source": {
            "agency_type": "police",
            "agency_name": "苗栗縣警察局",
            "reporter_name": who.reporter,
            "reporter_phone": who.phone,
            "mandated_reporter": True,
        },
        "narrative": who.narrative,
    }


def leaks(text: str, people: list[Person]) -> list[str]:
    return [
        f"{field} of person {i} ({value!r})"
        for i, who in enumerate(people)
        for field, values in who.secrets.items()
        for value in values
        if value in text
    ]


def span_texts(span: Any) -> Iterator[str]:
    """Everything a span carries that an exporter would send."""
    yield span.name
    for key, value in (span.attributes or {}).items():
        yield f"{key}={value}"
    for event in span.events:
        yield event.name
        yield from (f"{k}={v}" for k, v in (event.attributes or {}).items())
    for link in span.links:
        yield from (f"{k}={v}" for k, v in (link.attributes or {}).items())
    yield span.status.description or ""
    yield from (f"{k}={v}" for k, v in span.resource.attributes.items())


def record_texts(record: logging.LogRecord) -> Iterator[str]:
    """A record as any handler could render it: the message, the raw arguments, the
    exception and stack, and extra attributes."""
    yield record.getMessage()
    yield repr(record.args)
    if record.exc_info:
        yield logging.Formatter().formatException(record.exc_info)
    yield record.exc_text or ""
    yield record.stack_info or ""
    standard = set(vars(logging.makeLogRecord({})))
    yield from (f"{k}={v!r}" for k, v in vars(record).items() if k not in standard)


class Capture:
    """caplog plus a JSON-formatted copy of every record, as `safetynet` writes them."""

    def __init__(self, caplog: pytest.LogCaptureFixture):
        self.caplog = caplog
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(telemetry.JsonFormatter())
        self.handler.setLevel(logging.DEBUG)

    def __enter__(self) -> "Capture":
        self.caplog.set_level(logging.DEBUG)  # the root logger, so every propagating logger
        logging.getLogger().addHandler(self.handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        logging.getLogger().removeHandler(self.handler)

    def problems(self, people: list[Person], *, only: Any = lambda logger, level: True) -> list[str]:
        """Leaks in the records, and in the lines the JSON formatter wrote, of the loggers
        and levels for which `only(logger name, level name)` holds."""
        found = []
        for record in self.caplog.records:
            if only(record.name, record.levelname):
                for text in record_texts(record):
                    found += [
                        f"log {record.name} {record.levelname} {record.getMessage()[:160]!r}: {leak}"
                        for leak in leaks(text, people)
                    ]
        for line in self.stream.getvalue().splitlines():
            try:
                entry = json.loads(line)
                chosen = only(entry["logger"], entry["level"])
            except (ValueError, KeyError):
                chosen = True  # not one of the formatter's lines: search it all the same
            if chosen:
                found += [f"JSON log line {line[:160]!r}: {leak}" for leak in leaks(line, people)]
        return found


def sqlite_driver_debug(logger: str, level: str) -> bool:
    """aiosqlite logs every call, bound parameters included, at DEBUG: the embedded
    mode's driver, tested on its own by test_the_sqlite_driver_debug_log_carries_no_personal_data."""
    return logger == "aiosqlite" and level == "DEBUG"


def span_problems(finished: Any, people: list[Person]) -> list[str]:
    return [
        f"span {span.name!r}: {leak}" for span in finished for text in span_texts(span) for leak in leaks(text, people)
    ]


@contextmanager
def traced(system: Any) -> Iterator[None]:
    """HTTP spans for the embedded system, as `safetynet dev` instruments itself, plus the
    SQL statement spans that SAFETYNET_TRACE_SQL=true turns on for debugging: that path
    must not leak either."""
    instrumentor = SQLAlchemyInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:  # left over: instrument() would do nothing
        instrumentor.uninstrument()
    previous = os.environ.get("SAFETYNET_TRACE_SQL")
    os.environ["SAFETYNET_TRACE_SQL"] = "true"
    telemetry.instrument_app(system.app)
    telemetry.instrument_engine(system.engine)
    try:
        yield
    finally:
        instrumentor.uninstrument()
        if previous is None:
            os.environ.pop("SAFETYNET_TRACE_SQL", None)
        else:
            os.environ["SAFETYNET_TRACE_SQL"] = previous


def status_is(*wanted: str) -> Any:
    return lambda body: body["status"] in wanted


async def test_a_full_run_logs_and_traces_no_personal_data(tmp_path, spans, caplog):
    people = [person(n) for n in range(5)]
    with Capture(caplog) as capture:
        async with embedded_system(tmp_path) as system:
            with traced(system):
                await _full_run(system, people)
        finished = spans.get_finished_spans()

    # The capture saw the run: the test is not vacuous.
    assert len(caplog.records) > 20 and capture.stream.getvalue()
    assert {"POST /v1/reports", "action ConfirmDestinations"} <= {s.name.split(" http")[0] for s in finished}
    assert any(s.attributes and "db.statement" in s.attributes for s in finished), "no SQL spans"
    problems = capture.problems(people, only=lambda *r: not sqlite_driver_debug(*r)) + span_problems(finished, people)
    assert not problems, "personal data in logs or spans:\n" + "\n".join(sorted(set(problems))[:60])


async def _full_run(system: Any, people: list[Person]) -> None:
    agency = await system.key("agency")
    dispatcher = await system.key("dispatcher", name="值班社工")
    protection = await system.key("unit", name="苗栗家防中心", unit="苗栗縣/protection")
    mental_health = await system.key("unit", name="苗栗心衛中心", unit="苗栗縣/mental_health")
    welfare = await system.key("unit", name="竹南社福中心", unit="苗栗縣/welfare_center/竹南區")
    client = system.client

    # Refused input that holds personal data: a wrong national ID (its check digit), a
    # body that is not JSON, an Idempotency-Key reused with another body.
    bad = report_body(RED, people[4])
    bad["subjects"][0]["national_id"] = people[4].national_id[:-1] + str((int(people[4].national_id[-1]) + 1) % 10)
    assert (await client.post("/v1/reports", json=bad, headers=agency)).status_code == 422
    broken = json.dumps(report_body(RED, people[4]), ensure_ascii=False)[:-5].encode()
    assert (
        await client.post("/v1/reports", content=broken, headers={**agency, "Content-Type": "application/json"})
    ).status_code == 400

    red = await client.post(
        "/v1/reports", json=report_body(RED, people[0]), headers={**agency, "Idempotency-Key": "leak-test-1"}
    )
    assert red.status_code == 202, red.text
    replay = await client.post(
        "/v1/reports", json=report_body(RED, people[0]), headers={**agency, "Idempotency-Key": "leak-test-1"}
    )
    assert replay.status_code == 202
    conflict = await client.post(
        "/v1/reports", json=report_body(RED, people[4]), headers={**agency, "Idempotency-Key": "leak-test-1"}
    )
    assert conflict.status_code == 409
    co_case = await client.post("/v1/reports", json=report_body(CO_CASE, people[1], lower_case_id=True), headers=agency)
    green = await client.post("/v1/reports", json=report_body(GREEN, people[2]), headers=agency)
    # The same person again: repeat detection joins them by the keyed hash of the ID.
    again = await client.post("/v1/reports", json=report_body(GREEN, people[0]), headers=agency)
    rids = [r.json()["report_id"] for r in (red, co_case, green, again)]
    red_id, co_id, green_id, again_id = rids

    # The red report: assigned at once, the unit notified, the SLA started; the unit
    # acknowledges (SLA met) and closes with an outcome that names the person.
    report = await system.wait_for(
        red_id, dispatcher, lambda b: b["referrals"] and any(e["event"] == "sla_started" for e in b["timeline"])
    )
    referral = report["referrals"][0]["referral_id"]
    assert (await client.get(f"/v1/reports/{red_id}", headers=protection)).status_code == 200
    assert (await client.get(f"/v1/reports/{red_id}", headers=agency)).status_code == 200
    assert (await client.post(f"/v1/referrals/{referral}/acknowledge", headers=protection)).status_code == 202
    await system.wait_for(red_id, dispatcher, status_is("acknowledged"))
    closed = await client.post(
        f"/v1/referrals/{referral}/close",
        headers=protection,
        json={"outcome": "opened", "note": f"已聯繫{people[0].name}，電話{people[0].phone}"},
    )
    assert closed.status_code == 202, closed.text
    await system.wait_for(red_id, dispatcher, status_is("closed"))

    # The co-case: the dispatcher changes the destinations with a reason naming the
    # person; the unit acknowledges.
    await system.wait_for(co_id, dispatcher, status_is("awaiting_review"))
    changed = await client.post(
        f"/v1/reports/{co_id}/destinations",
        headers=dispatcher,
        json={
            "destinations": [{"kind": "mental_health", "unit": "苗栗縣/mental_health"}],
            "reason": f"{people[1].name}（{people[1].national_id}）已由精神科追蹤",
        },
    )
    assert changed.status_code == 202, changed.text
    report = await system.wait_for(co_id, dispatcher, status_is("assigned"))
    acknowledged = await client.post(
        f"/v1/referrals/{report['referrals'][0]['referral_id']}/acknowledge", headers=mental_health
    )
    assert acknowledged.status_code == 202, acknowledged.text

    # A green one: confirmed as recommended (竹南區), rejected by that welfare center with a
    # reason naming the person, reassigned by the dispatcher to another center.
    await system.wait_for(green_id, dispatcher, status_is("awaiting_review"))
    assert (await client.post(f"/v1/reports/{green_id}/confirm", headers=dispatcher)).status_code == 202
    report = await system.wait_for(green_id, dispatcher, status_is("assigned"))
    green_referral = report["referrals"][0]["referral_id"]
    rejected = await client.post(
        f"/v1/referrals/{green_referral}/reject",
        headers=welfare,
        json={"reason": "wrong_district", "note": f"{people[2].name}已搬到頭份，{people[2].phone}"},
    )
    assert rejected.status_code == 202, rejected.text
    await system.wait_for(green_id, dispatcher, status_is("awaiting_review"))
    reassigned = await client.post(
        f"/v1/referrals/{green_referral}/reassign",
        headers=dispatcher,
        json={"unit": "苗栗縣/welfare_center/頭份區", "reason": f"改派，{people[2].name}"},
    )
    assert reassigned.status_code == 202, reassigned.text
    await system.wait_for(green_id, dispatcher, status_is("assigned"))

    # The repeat: confirmed if it waits for review, acknowledged by a dispatcher for the unit.
    report = await system.wait_for(again_id, dispatcher, lambda b: b["status"] != "received")
    if report["status"] == "awaiting_review":
        assert (await client.post(f"/v1/reports/{again_id}/confirm", headers=dispatcher)).status_code == 202
        report = await system.wait_for(again_id, dispatcher, status_is("assigned"))
    for r in report["referrals"]:
        await client.post(f"/v1/referrals/{r['referral_id']}/acknowledge", headers=dispatcher)
    for path in ("/v1/queue", "/v1/ops/slas"):
        assert (await client.get(path, headers=dispatcher)).status_code == 200
    for rid in rids:
        await system.wait_for(
            rid, dispatcher, lambda b: any(e["event"].startswith("notification") for e in b["timeline"])
        )


def test_safetynet_dev_logs_and_traces_no_personal_data(tmp_path):
    who = person(7)
    env = {
        "SAFETYNET_DATABASE_URL": f"sqlite:///{tmp_path}/dev.db",
        "SAFETYNET_LOG_FORMAT": "json",
        "OTEL_SDK_DISABLED": "false",
        "OTEL_TRACES_EXPORTER": "console",
    }  # the spans go to stdout too
    port = free_port()
    log = tmp_path / "dev.log"
    dev = Process("dev", "--port", str(port), env=env, log=log)
    try:
        base = f"http://127.0.0.1:{port}"
        dev.wait_http(f"{base}/healthz")
        agency = {
            "Authorization": "Bearer "
            + mint_key(
                env, "--role", "agency", "--name", "苗栗縣警察局", "--county", "苗栗縣", "--agency-type", "police"
            )
        }
        dispatcher = {
            "Authorization": "Bearer "
            + mint_key(env, "--role", "dispatcher", "--name", "值班社工", "--county", "苗栗縣")
        }
        bad = report_body(RED, who)
        bad["subjects"][0]["national_id"] = "A12345678"
        assert httpx.post(f"{base}/v1/reports", json=bad, headers=agency).status_code == 422
        posted = httpx.post(f"{base}/v1/reports", json=report_body(RED, who), headers=agency)
        assert posted.status_code == 202, posted.text
        rid = posted.json()["report_id"]
        report = _poll(
            f"{base}/v1/reports/{rid}",
            dispatcher,
            lambda b: (
                b["referrals"]
                and any(e["event"] == "sla_started" for e in b["timeline"])
                and any(e["event"].startswith("notification") for e in b["timeline"])
            ),
        )
        referral = report["referrals"][0]["referral_id"]
        assert httpx.post(f"{base}/v1/referrals/{referral}/acknowledge", headers=dispatcher).status_code == 202
        _poll(f"{base}/v1/reports/{rid}", dispatcher, lambda b: b["status"] == "acknowledged")
    finally:
        dev.stop()  # SIGTERM: the batch span processor flushes at exit
    text = log.read_text(errors="replace")
    assert '"level": "INFO"' in text, text[-2000:]
    assert '"name": "POST /v1/reports' in text, "no spans in the log: OTEL_TRACES_EXPORTER=console did not export"
    problems = [
        f"line {n}: {leak}: {line[:300]!r}"
        for n, line in enumerate(text.splitlines(), 1)
        for leak in leaks(line, [who])
    ]
    assert not problems, "personal data in `safetynet dev`'s output:\n" + "\n".join(problems[:40])


def _poll(url: str, headers: dict[str, str], until: Any, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = httpx.get(url, headers=headers).json()
        if until(body):
            return body
        time.sleep(0.2)
    raise AssertionError(f"timed out on {url}: {body}")


async def test_the_sqlite_driver_debug_log_carries_no_personal_data(tmp_path, caplog):
    # The drivers bind staff free text (reasons that name people) into their DEBUG log;
    # `safetynet` keeps them at WARNING whatever the root level. Without that, this test fails.
    who = person(5)
    drivers = [logging.getLogger(n) for n in ("aiosqlite", "asyncpg", "sqlalchemy.engine")]
    before = [d.level for d in drivers]
    telemetry.quiet_database_drivers(logging.DEBUG)
    with Capture(caplog) as capture:
        async with embedded_system(tmp_path) as system:
            agency = await system.key("agency")
            dispatcher = await system.key("dispatcher")
            posted = await system.client.post("/v1/reports", json=report_body(CO_CASE, who), headers=agency)
            assert posted.status_code == 202, posted.text
            rid = posted.json()["report_id"]
            await system.wait_for(rid, dispatcher, status_is("awaiting_review"))
            changed = await system.client.post(
                f"/v1/reports/{rid}/destinations",
                headers=dispatcher,
                json={
                    "destinations": [{"kind": "protection", "unit": "苗栗縣/protection"}],
                    "reason": f"{who.name}已由精神科追蹤，電話{who.phone}",
                },
            )
            assert changed.status_code == 202, changed.text
            await system.wait_for(rid, dispatcher, status_is("assigned"))
    for driver, level in zip(drivers, before):
        driver.setLevel(level)
    assert any(r.levelno == logging.DEBUG for r in caplog.records), "nothing logged at DEBUG: the test is vacuous"
    problems = capture.problems([who])
    assert not problems, "\n".join(problems[:10])


async def _fail_on_insert(system: Any, table: str, when: str = "1") -> None:
    """Every insert into `table` whose new row meets `when` fails, as a full disk would."""
    async with system.engine.begin() as conn:
        await conn.execute(
            text(
                f"CREATE TRIGGER simulated_failure BEFORE INSERT ON {table} "
                f"WHEN {when} BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END"
            )
        )


async def _store_a_report(system: Any, client: Any, who: Person) -> Any:
    await _fail_on_insert(system, "intake_reports")
    return await client.post("/v1/reports", json=report_body(RED, who), headers=await system.key("agency"))


async def _change_destinations(system: Any, client: Any, who: Person) -> Any:
    dispatcher = await system.key("dispatcher")
    posted = await client.post("/v1/reports", json=report_body(CO_CASE, who), headers=await system.key("agency"))
    await system.wait_for(posted.json()["report_id"], dispatcher, status_is("awaiting_review"))
    # The dispatcher's entry only: the pipeline may still be projecting the report's SLA
    # events, and a failure there would be retried (and raised at shutdown), not answered.
    await _fail_on_insert(system, "intake_timeline", when="NEW.actor LIKE 'dispatcher:%'")
    return await client.post(
        f"/v1/reports/{posted.json()['report_id']}/destinations",
        headers=dispatcher,
        json={
            "destinations": [{"kind": "protection", "unit": "苗栗縣/protection"}],
            "reason": f"{who.name}（{who.national_id}）已由精神科追蹤，電話{who.phone}",
        },
    )


HIDE_PARAMETERS = (
    "make_engine (safetynet.platform.storage) creates engines without hide_parameters=True, so SQLAlchemy's "
    "error text carries the failed statement's bound parameters: a database error while an action is stored "
    "(here the INSERT INTO intake_timeline of a change of destinations) puts the dispatcher's reason, naming "
    "the person with national ID and phone, into the 500 handler's log.exception traceback (ERROR 'unhandled "
    "error on POST /v1/reports/{report_id}/destinations') and into the exception event of the HTTP span "
    "and of the 'action ChangeDestinations' span (exception.message, exception.stacktrace). Sealed report data "
    "is not exposed this way."
)


@pytest.mark.parametrize(
    "failing",
    [
        pytest.param(_store_a_report, id="storing-a-report"),
        pytest.param(_change_destinations, id="storing-an-action"),
    ],
)
async def test_a_database_failure_logs_and_traces_no_personal_data(failing, tmp_path, spans, caplog):
    """A database that fails while something is stored (a full disk, a constraint, a
    timeout) is a 500, logged with its traceback and recorded on the HTTP span."""
    who = person(6)
    with Capture(caplog) as capture:
        async with embedded_system(tmp_path) as system:
            transport = httpx.ASGITransport(app=system.app, raise_app_exceptions=False)
            with traced(system):
                async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
                    answer = await failing(system, client, who)
        finished = spans.get_finished_spans()
    assert answer.status_code == 500 and answer.json() == {"detail": "internal error"}
    assert not leaks(answer.text, [who])
    assert any("simulated disk failure" in "".join(record_texts(r)) for r in caplog.records), (
        "the failure was not logged"
    )
    problems = capture.problems([who], only=lambda *r: not sqlite_driver_debug(*r)) + span_problems(finished, [who])
    assert not problems, "personal data in logs or spans:\n" + "\n".join(sorted(set(problems))[:40])


async def test_a_refused_action_body_is_not_echoed(tmp_path):
    who = person(4)
    async with embedded_system(tmp_path) as system:
        agency, dispatcher = await system.key("agency"), await system.key("dispatcher")
        posted = await system.client.post("/v1/reports", json=report_body(CO_CASE, who), headers=agency)
        rid = posted.json()["report_id"]
        answers = [
            await system.client.post(
                f"/v1/reports/{rid}/destinations",
                headers=dispatcher,
                json={
                    "destinations": [{"kind": "protection", "unit": "苗栗縣/protection", "note": who.name}],
                    "reason": f"{who.name}（{who.national_id}）",
                },
            ),
            await system.client.post(
                f"/v1/reports/{rid}/destinations",
                headers=dispatcher,
                json={
                    "destinations": [{"kind": "protection", "unit": "苗栗縣/protection"}],
                    "reason": f"{who.name}，{who.phone}" + "。" * 4000,
                },
            ),
        ]
    assert [a.status_code for a in answers] == [422, 422]
    echoed = [leak for a in answers for leak in leaks(a.text, [who])]
    assert not echoed, echoed
