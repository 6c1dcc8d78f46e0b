"""a project's standing, published for the unit's later projects (宿迁 第六条、第三十六条)

`process_instances.standing`: the values of the workflow data its process definition declares in
`standing` (processes/<city>/jurisdiction.json; 宿迁: accepted, funds_withheld, funds_withheld_reason),
kept by every step (engine/services/projection.py) and read as the unit's systems
(engine/services/systems.py). NULL: a process that publishes none, or a project not stepped since.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 23:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instances') as batch_op:
        batch_op.add_column(sa.Column('standing', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('process_instances') as batch_op:
        batch_op.drop_column('standing')
