"""the managers' portfolio: instance summaries for the dashboard and the search, 预警 instants, summaries

process_instances gain the phase they are in (id, title, since when) and the investment as a number;
human_tasks the phase they belong to and their 预警 instant (80 % of the clock used); portfolio_summaries
keeps the slow part of each jurisdiction's dashboard, computed by the scheduler.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('phase_title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('phase_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('investment', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.create_index('ix_instances_portfolio', ['jurisdiction', 'process_key', 'status', 'phase'])
        batch_op.create_index('ix_instances_investment', ['jurisdiction', 'investment'])
        batch_op.create_index('ix_instances_created', ['jurisdiction', 'created_at'])
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        # warn_at comes with 0009_notices
        batch_op.add_column(sa.Column('phase', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('phase_title', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_human_tasks_due', ['jurisdiction', 'state', 'due_at'])
        batch_op.create_index('ix_human_tasks_warn_list', ['jurisdiction', 'state', 'warn_at'])
    op.create_table(
        'portfolio_summaries',
        sa.Column('jurisdiction', sa.String(length=32), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('jurisdiction'),
    )
    # instances started before this revision: the investment from their facts
    instances = sa.table('process_instances', sa.column('id', sa.Integer), sa.column('facts', sa.JSON),
                         sa.column('investment', sa.Numeric(14, 2)))
    bind = op.get_bind()
    for iid, facts in bind.execute(sa.select(instances.c.id, instances.c.facts)).all():
        value = (facts or {}).get('total_investment') if isinstance(facts, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            bind.execute(instances.update().where(instances.c.id == iid).values(investment=round(value, 2)))


def downgrade() -> None:
    op.drop_table('portfolio_summaries')
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_human_tasks_warn_list')
        batch_op.drop_index('ix_human_tasks_due')
        batch_op.drop_column('phase_title')
        batch_op.drop_column('phase')
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_created')
        batch_op.drop_index('ix_instances_investment')
        batch_op.drop_index('ix_instances_portfolio')
        batch_op.drop_column('investment')
        batch_op.drop_column('phase_since')
        batch_op.drop_column('phase_title')
        batch_op.drop_column('phase')
