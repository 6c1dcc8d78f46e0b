"""incidents: steps that failed (script, condition, expression, engine) and wait for a retry

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('incidents',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('instance_id', BIG_ID, nullable=False),
    sa.Column('jurisdiction', sa.String(length=32), nullable=False),
    sa.Column('element_id', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('task_guid', sa.String(length=36), nullable=True),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_state_instance', ['state', 'instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_instance_id'), ['instance_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_instance_id'))
        batch_op.drop_index('ix_incidents_state_instance')
    op.drop_table('incidents')
