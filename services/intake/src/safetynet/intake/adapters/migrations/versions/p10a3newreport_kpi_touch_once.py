"""A new report's KPI links computed once, by its subjects' trigger (issue 10)

Revision ID: p10a3newreport
Revises: p10a2kpilink
Create Date: 2026-12-07 20:30:00

A report is accepted with its subject-index rows (in one statement since the deferred
inserts, platform/messaging/deferred.py). The reports trigger recomputed the new report's
links, and so did the subject index's trigger for the same report: the subjects' links
are all the links a new report can have (no subjects, no links), so the reports
trigger's INSERT branch now keeps only the report's KPI facts. Updates and deletes of
reports are unchanged. The links stay exactly those of domain/kpis.py (the test that
compares them replays shuffled and repeated events on PostgreSQL).

Both refresh functions also return at once for an empty list: a view update that changes
no KPI fact (most of them: a timeline entry, a notification) called them with none, and
each call still ran its statements (~0.4 ms).
"""

from alembic import op

revision = "p10a3newreport"
down_revision = "p10a2kpilink"
branch_labels = None
depends_on = None

_HEAD = """
CREATE OR REPLACE FUNCTION intake.intake_kpi_links_reports_changed() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM intake.intake_kpi_reports_refresh(ARRAY(SELECT report_id FROM new_rows));
"""
_INSERT_TOUCH = """        PERFORM intake.intake_kpi_links_touch(ARRAY[]::varchar[], ARRAY(SELECT report_id FROM new_rows));
"""
_TAIL = """    ELSIF TG_OP = 'DELETE' THEN
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
END $$"""


_REFRESHES = ("intake_kpi_reports_refresh", "intake_kpi_links_refresh")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_HEAD + _TAIL)
    for name in _REFRESHES:  # the work moves to *_of; the old name answers an empty list at once
        op.execute(f"ALTER FUNCTION intake.{name}(varchar[]) RENAME TO {name}_of")
        op.execute(
            f"CREATE FUNCTION intake.{name}(ids varchar[]) RETURNS void LANGUAGE plpgsql AS $$ "
            f"BEGIN IF cardinality(ids) > 0 THEN PERFORM intake.{name}_of(ids); END IF; END $$"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _REFRESHES:
        op.execute(f"DROP FUNCTION intake.{name}(varchar[])")
        op.execute(f"ALTER FUNCTION intake.{name}_of(varchar[]) RENAME TO {name}")
    op.execute(_HEAD + _INSERT_TOUCH + _TAIL)
