"""orders that act: a project suspended by a side process's order or a manager

process_instances gain when, by which order (the side process instance and its element's name), by
whom and why they are suspended; human_tasks use the state `suspended` and timers `paused` meanwhile.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspended_by_instance_id', BIG_ID, nullable=True))
        batch_op.add_column(sa.Column('suspended_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('suspension_order', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key('fk_process_instances_suspended_by_id_users', 'users',
                                    ['suspended_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_constraint('fk_process_instances_suspended_by_id_users', type_='foreignkey')
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspension_order')
        batch_op.drop_column('suspended_by_id')
        batch_op.drop_column('suspended_by_instance_id')
        batch_op.drop_column('suspended_at')
