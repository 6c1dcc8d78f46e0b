"""orders that hold one step: 暂缓拨付建设资金及运维经费 (宿迁 第三十六条)

`process_instances.holds`: the holds a side process's order placed on named steps of the project
(a list of {steps, order, reason, since, by_instance_id, by_id}; NULL: none);
`human_tasks.held_since`: since when a held task's clock stands still (engine/services/orders.py).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 23:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holds', sa.JSON(), nullable=True))
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('held_since')
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_column('holds')
