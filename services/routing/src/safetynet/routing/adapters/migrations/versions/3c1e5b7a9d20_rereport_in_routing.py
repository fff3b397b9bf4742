"""re-report rule in routing: case subjects and the decision's reasons

Revision ID: 3c1e5b7a9d20
Revises: d476b031acf6
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from safetynet.platform.migrations import schema_for

revision = '3c1e5b7a9d20'
down_revision = 'd476b031acf6'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('routing_case_subjects',
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('subject_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['routing.routing_cases.report_id'], ),
    sa.PrimaryKeyConstraint('report_id', 'subject_hash'),
    schema='routing'
    )
    op.create_index('ix_routing_case_subjects_hash', 'routing_case_subjects', ['subject_hash'], unique=False,
                    schema='routing')
    op.add_column('routing_cases', sa.Column('reasons', JSON, nullable=True), schema=schema_for('routing'))
    # Existing cases: index the subjects they already name, so their closures count.
    bind = op.get_bind()
    schema = schema_for('routing')
    cases = sa.table('routing_cases', sa.column('report_id'), sa.column('subject_hashes', JSON), schema=schema)
    subjects = sa.table('routing_case_subjects', sa.column('report_id'), sa.column('subject_hash'), schema=schema)
    rows = [{'report_id': r.report_id, 'subject_hash': h}
            for r in bind.execute(sa.select(cases.c.report_id, cases.c.subject_hashes))
            for h in sorted(set(r.subject_hashes or []))]
    if rows:
        op.bulk_insert(subjects, rows)


def downgrade() -> None:
    with op.batch_alter_table('routing_cases', schema=schema_for('routing')) as batch:
        batch.drop_column('reasons')
    op.drop_index('ix_routing_case_subjects_hash', table_name='routing_case_subjects', schema='routing')
    op.drop_table('routing_case_subjects', schema='routing')
