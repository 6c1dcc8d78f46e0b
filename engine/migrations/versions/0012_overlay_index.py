"""the portfolio on the diagram: ready tasks by process and element

A partial index of the ready task rows by process key and element (with the instance and due date, so
the counts per element are read from the index alone): GET /manage/processes/{key}/statistics.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 16:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_human_tasks_ready_element', 'human_tasks',
                    ['process_key', 'element_id', 'instance_id', 'due_at'],
                    postgresql_where=sa.text("state = 'ready'"), sqlite_where=sa.text("state = 'ready'"))


def downgrade() -> None:
    op.drop_index('ix_human_tasks_ready_element', table_name='human_tasks')
