"""decision model v1.1 (issue 14)

Nothing to change in screening's tables: v1.1 is package data (rule_versions/v1.1.json),
a decision (with its routing_rules) and its input, BSRS-5 score included, are stored as
JSON, and the active version stays the newest activation (none: the default, now v1.1.0).

Revision ID: s14a1v11
Revises: s13a1ruleset
Create Date: 2026-12-07 17:00:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 's14a1v11'
down_revision = 's13a1ruleset'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
