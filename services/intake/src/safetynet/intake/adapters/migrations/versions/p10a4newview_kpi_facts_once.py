"""A new report's KPI facts computed once, by its view's trigger (issue 10)

Revision ID: p10a4newview
Revises: p10a3newreport
Create Date: 2026-12-07 23:00:00

A report is accepted with its view in one statement (platform/messaging/deferred.py), and
both tables' insert triggers refreshed the new report's KPI facts (`intake_kpi_reports`):
the same row computed twice, ~0.5 ms of PostgreSQL per report. The facts read the report
and its view, so the view's trigger, which fires after the view is in, has all it needs;
the reports trigger now refreshes only the reports inserted without a view (a loader or
a test writing reports alone), whose facts would otherwise be missing until a view came.
Facts stay exactly those of the rows (the KPI tests compare them with domain/kpis.py).
"""

from alembic import op

revision = "p10a4newview"
down_revision = "p10a3newreport"
branch_labels = None
depends_on = None

_HEAD = """
CREATE OR REPLACE FUNCTION intake.intake_kpi_links_reports_changed() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
"""
_BOTH = """        PERFORM intake.intake_kpi_reports_refresh(ARRAY(SELECT report_id FROM new_rows));
"""
_WITHOUT_VIEW = """        PERFORM intake.intake_kpi_reports_refresh(ARRAY(
            SELECT n.report_id FROM new_rows AS n
            WHERE NOT EXISTS (SELECT 1 FROM intake.intake_report_views AS v WHERE v.report_id = n.report_id)));
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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_HEAD + _WITHOUT_VIEW + _TAIL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_HEAD + _BOTH + _TAIL)
