"""KPI subject links maintained as reports arrive (issue 10)

Revision ID: p10a2kpilink
Revises: i14a4linked
Create Date: 2026-12-07 17:00:00

The two re-report KPIs relate a report to other reports through their subjects. Found per
request, that was ~13,000 subject-index probes for a month of one county on a 1M history.
`intake_kpi_links` keeps, per report, the other reports that make it count:
- `protection_rereport`: a protection report, and another report naming one of its
  subjects with a protection referral closed strictly before it and less than 365×24 h
  before (`linked_at`: the closure);
- `vulnerable_to_protection`: a vulnerable-family report, and a protection report naming
  one of its subjects received strictly later and less than 90×24 h later (`linked_at`:
  its receipt).
`linked_received_at` is the other report's receipt. The KPI statement (adapters/kpi_sql.py)
reads these rows instead of probing the subject index, and still applies the windows.

On PostgreSQL the links are kept by statement-level triggers on the three tables they
derive from (reports, subject index, views), in the writing transaction, whoever writes:
the projection, acceptance, retention, tests and loaders that write around the services.
A change recomputes the links of every report sharing a subject with a changed report,
from the current rows, so the result does not depend on the order events arrive in, and
a redelivered event (same rows) recomputes the same links or, for a view whose closed
protection referrals did not change, nothing. Transactions touching the same subjects take
an advisory lock per subject hash first, so two of them cannot each miss the other's
uncommitted rows. The rules are written out here as they stand today (a migration must not
change with later code); a change of the protection categories or a wider window needs a
migration that redefines them and calls `intake.intake_kpi_links_rebuild()`.
SQLite (embedded mode) gets the table only: it counts the KPIs in Python (domain/kpis.py).
"""

import sqlalchemy as sa
from alembic import op

import safetynet.platform.storage
from safetynet.platform.migrations import schema_for

revision = "p10a2kpilink"
down_revision = "i14a4linked"
branch_labels = None
depends_on = None

PROTECTION = (
    "intimate_partner_violence",
    "other_family_violence",
    "child_maltreatment",
    "sexual_assault",
    "child_sexual_exploitation",
    "elder_abuse",
    "disability_abuse",
)
REPEAT_WINDOW = "interval '8760 hours'"  # 365×24 h: safetynet.policy.repeat_window
VULNERABLE_WINDOW = "interval '2160 hours'"  # 90×24 h: domain/kpis.py
LOCK_CLASS = 10_002  # the first key of the two-key advisory locks taken per subject hash
_PROTECTION_ARRAY = "ARRAY[" + ", ".join(f"'{c}'" for c in PROTECTION) + "]"
_CLOSED_PROTECTION = """jsonb_path_query_array(coalesce({referrals}, '[]'::jsonb),
    '$[*] ? (@.status == "closed" && @.kind == "protection").updated_at')"""

# The links of the reports that {reports} selects (r), from the current rows.
_LINKS = f"""
SELECT r.report_id, 'protection_rereport', s2.report_id, (f->>'updated_at')::timestamptz, s2.received_at
FROM intake.intake_reports AS r
JOIN intake.intake_subject_index AS s1 ON s1.report_id = r.report_id
JOIN intake.intake_subject_index AS s2 ON s2.subject_hash = s1.subject_hash AND s2.report_id <> r.report_id
JOIN intake.intake_report_views AS v2 ON v2.report_id = s2.report_id
CROSS JOIN LATERAL jsonb_array_elements(v2.referrals) AS f
WHERE {{reports}} AND r.categories ?| {_PROTECTION_ARRAY}
  AND f->>'status' = 'closed' AND f->>'kind' = 'protection' AND nullif(f->>'updated_at', '') IS NOT NULL
  AND (f->>'updated_at')::timestamptz < r.received_at
  AND r.received_at - (f->>'updated_at')::timestamptz < {REPEAT_WINDOW}
UNION
SELECT r.report_id, 'vulnerable_to_protection', r2.report_id, r2.received_at, r2.received_at
FROM intake.intake_reports AS r
JOIN intake.intake_subject_index AS s1 ON s1.report_id = r.report_id
JOIN intake.intake_subject_index AS s2
  ON s2.subject_hash = s1.subject_hash AND s2.report_id <> r.report_id
 AND s2.received_at > r.received_at AND s2.received_at < r.received_at + {VULNERABLE_WINDOW}
JOIN intake.intake_reports AS r2 ON r2.report_id = s2.report_id
WHERE {{reports}} AND r.categories @> '["vulnerable_family"]'::jsonb AND r2.categories ?| {_PROTECTION_ARRAY}
  AND r.received_at < r2.received_at AND r2.received_at - r.received_at < {VULNERABLE_WINDOW}
"""
# The KPI facts of the reports {reports} selects (r): the period's scan reads these narrow
# rows instead of each report's wide view (its JSON documents). Categories are kept once
# each (a report counts once per category), so the counts need no DISTINCT per request.
_FACTS = """
INSERT INTO intake.intake_kpi_reports AS k
    (report_id, county, received_at, agency_type, categories, risk_level, due_at, sla_state, closed_at)
SELECT r.report_id, r.county, r.received_at, r.agency_type,
       coalesce((SELECT jsonb_agg(DISTINCT c) FROM jsonb_array_elements_text(r.categories) AS c), '[]'::jsonb),
       nullif(v.risk_level, ''),
       coalesce(nullif(v.sla->>'due_at', '')::timestamptz, r.sla_due_at),
       coalesce(nullif(v.sla->>'state', ''), 'open'),
       nullif(v.sla->>'closed_at', '')::timestamptz
FROM intake.intake_reports AS r
LEFT JOIN intake.intake_report_views AS v ON v.report_id = r.report_id
WHERE {reports}
ON CONFLICT (report_id) DO UPDATE SET
    county = excluded.county, received_at = excluded.received_at, agency_type = excluded.agency_type,
    categories = excluded.categories, risk_level = excluded.risk_level, due_at = excluded.due_at,
    sla_state = excluded.sla_state, closed_at = excluded.closed_at
"""
_INSERT = "INSERT INTO intake.intake_kpi_links (report_id, rule, linked_report_id, linked_at, linked_received_at)"

# Every function keeps one plan per statement: left to choose, PostgreSQL re-planned the
# link query (~2.4 ms) on every call for a ~0.5 ms execution; the generic plans are the
# same index nested loops.
_FUNCTIONS = [
    f"""
CREATE FUNCTION intake.intake_kpi_links_refresh(ids varchar[]) RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    DELETE FROM intake.intake_kpi_links WHERE report_id = ANY(ids);
    {_INSERT} {_LINKS.format(reports="r.report_id = ANY(ids)")};
END $$""",
    f"""
CREATE FUNCTION intake.intake_kpi_reports_refresh(ids varchar[]) RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    DELETE FROM intake.intake_kpi_reports AS k WHERE k.report_id = ANY(ids)
        AND NOT EXISTS (SELECT 1 FROM intake.intake_reports AS r WHERE r.report_id = k.report_id);
    {_FACTS.format(reports="r.report_id = ANY(ids)")};
END $$""",
    f"""
CREATE FUNCTION intake.intake_kpi_links_rebuild() RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    DELETE FROM intake.intake_kpi_reports;
    {_FACTS.format(reports="TRUE")};
    DELETE FROM intake.intake_kpi_links;
    {_INSERT} {_LINKS.format(reports="TRUE")};
END $$""",
    # The reports whose links may change when `reports` changed or rows naming `hashes`
    # came or went: every report naming one of those subjects, and `reports` themselves.
    f"""
CREATE FUNCTION intake.intake_kpi_links_touch(hashes varchar[], reports varchar[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    subjects varchar[];
BEGIN
    IF cardinality(hashes) = 0 AND cardinality(reports) = 0 THEN
        RETURN;
    END IF;
    subjects := ARRAY(SELECT unnest(hashes) UNION
                      SELECT subject_hash FROM intake.intake_subject_index WHERE report_id = ANY(reports));
    -- in one global order, so transactions on the same subjects queue instead of deadlocking
    PERFORM count(pg_advisory_xact_lock({LOCK_CLASS}, k))
    FROM (SELECT DISTINCT hashtext(h) AS k FROM unnest(subjects) AS h ORDER BY 1) AS ordered;
    -- each statement from here on sees what the transactions we waited for committed
    PERFORM intake.intake_kpi_links_refresh(ARRAY(
        SELECT unnest(reports) UNION
        SELECT report_id FROM intake.intake_subject_index WHERE subject_hash = ANY(subjects)));
END $$""",
    """
CREATE FUNCTION intake.intake_kpi_links_subjects_changed() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM intake.intake_kpi_links_touch(
            ARRAY(SELECT DISTINCT subject_hash FROM new_rows), ARRAY(SELECT DISTINCT report_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM intake.intake_kpi_links_touch(
            ARRAY(SELECT DISTINCT subject_hash FROM old_rows), ARRAY(SELECT DISTINCT report_id FROM old_rows));
    ELSE
        PERFORM intake.intake_kpi_links_touch(
            ARRAY(SELECT subject_hash FROM old_rows UNION SELECT subject_hash FROM new_rows),
            ARRAY(SELECT report_id FROM old_rows UNION SELECT report_id FROM new_rows));
    END IF;
    RETURN NULL;
END $$""",
    # A report's links depend on its categories and receipt only (retention's updates of
    # the sealed columns change nothing here).
    """
CREATE FUNCTION intake.intake_kpi_links_reports_changed() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM intake.intake_kpi_reports_refresh(ARRAY(SELECT report_id FROM new_rows));
        PERFORM intake.intake_kpi_links_touch(ARRAY[]::varchar[], ARRAY(SELECT report_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM intake.intake_kpi_reports_refresh(ARRAY(SELECT report_id FROM old_rows));
        DELETE FROM intake.intake_kpi_links WHERE linked_report_id IN (SELECT report_id FROM old_rows);
        PERFORM intake.intake_kpi_links_touch(ARRAY[]::varchar[], ARRAY(SELECT report_id FROM old_rows));
    ELSE
        PERFORM intake.intake_kpi_reports_refresh(ARRAY(
            SELECT n.report_id FROM new_rows AS n JOIN old_rows AS o ON o.report_id = n.report_id
            WHERE (n.county, n.received_at, n.agency_type, n.categories, n.sla_due_at)
                  IS DISTINCT FROM (o.county, o.received_at, o.agency_type, o.categories, o.sla_due_at)));
        PERFORM intake.intake_kpi_links_touch(ARRAY[]::varchar[], ARRAY(
            SELECT n.report_id FROM new_rows AS n JOIN old_rows AS o ON o.report_id = n.report_id
            WHERE n.categories IS DISTINCT FROM o.categories OR n.received_at IS DISTINCT FROM o.received_at));
    END IF;
    RETURN NULL;
END $$""",
    # A view's risk level and SLA are its report's KPI facts; its closed protection
    # referrals (and their closing times) are all other reports' links read from it; an
    # event that changes none of them touches nothing.
    f"""
CREATE FUNCTION intake.intake_kpi_links_views_changed() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM intake.intake_kpi_reports_refresh(ARRAY(SELECT report_id FROM new_rows));
        PERFORM intake.intake_kpi_links_touch(ARRAY[]::varchar[], ARRAY(
            SELECT report_id FROM new_rows WHERE {_CLOSED_PROTECTION.format(referrals="referrals")} <> '[]'));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM intake.intake_kpi_reports_refresh(ARRAY(SELECT report_id FROM old_rows));
        PERFORM intake.intake_kpi_links_touch(ARRAY[]::varchar[], ARRAY(
            SELECT report_id FROM old_rows WHERE {_CLOSED_PROTECTION.format(referrals="referrals")} <> '[]'));
    ELSE
        PERFORM intake.intake_kpi_reports_refresh(ARRAY(
            SELECT n.report_id FROM new_rows AS n JOIN old_rows AS o ON o.report_id = n.report_id
            WHERE n.sla IS DISTINCT FROM o.sla OR n.risk_level IS DISTINCT FROM o.risk_level));
        PERFORM intake.intake_kpi_links_touch(ARRAY[]::varchar[], ARRAY(
            SELECT n.report_id FROM new_rows AS n JOIN old_rows AS o ON o.report_id = n.report_id
            WHERE {_CLOSED_PROTECTION.format(referrals="n.referrals")}
                  IS DISTINCT FROM {_CLOSED_PROTECTION.format(referrals="o.referrals")}));
    END IF;
    RETURN NULL;
END $$""",
]
_TRIGGERS = {
    "intake_subject_index": "intake.intake_kpi_links_subjects_changed",
    "intake_reports": "intake.intake_kpi_links_reports_changed",
    "intake_report_views": "intake.intake_kpi_links_views_changed",
}
_REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "intake_kpi_links",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("linked_report_id", sa.String(length=36), nullable=False),
        sa.Column("linked_at", safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
        sa.Column("linked_received_at", safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "rule", "linked_report_id", "linked_at"),
        schema=schema_for("intake"),
    )
    op.create_table(
        "intake_kpi_reports",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=20), nullable=False),
        sa.Column("received_at", safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
        sa.Column("agency_type", sa.String(length=40), nullable=False),
        sa.Column("categories", safetynet.platform.storage.JsonDocument, nullable=False),
        sa.Column("risk_level", sa.String(length=10), nullable=True),
        sa.Column("due_at", safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sla_state", sa.String(length=10), nullable=False),
        sa.Column("closed_at", safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("report_id"),
        schema=schema_for("intake"),
    )
    if not postgresql:
        return
    for function in _FUNCTIONS:
        op.execute(function)
    # Backfill before the triggers exist: set-based statements over the history, the
    # index after the rows (one sort).
    op.execute("SET LOCAL jit = off")
    op.execute(_FACTS.format(reports="TRUE"))
    op.create_index(
        "ix_intake_kpi_reports_period", "intake_kpi_reports", ["county", "received_at"], schema=schema_for("intake")
    )
    op.execute(f"{_INSERT} {_LINKS.format(reports='TRUE')}")
    op.execute("ANALYZE intake.intake_kpi_reports")
    op.execute("ANALYZE intake.intake_kpi_links")
    for table, function in _TRIGGERS.items():
        for event, referencing in _REFERENCING.items():
            op.execute(
                f"CREATE TRIGGER {table}_kpi_links_{event} AFTER {event.upper()} ON intake.{table} "
                f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for table in _TRIGGERS:
            for event in _REFERENCING:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_kpi_links_{event} ON intake.{table}")
        names = [f"intake.intake_kpi_links_{n}" for n in ("touch", "refresh", "rebuild")]
        for name in (*_TRIGGERS.values(), *names, "intake.intake_kpi_reports_refresh"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
    op.drop_table("intake_kpi_links", schema=schema_for("intake"))
    op.drop_table("intake_kpi_reports", schema=schema_for("intake"))
