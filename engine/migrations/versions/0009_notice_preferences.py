"""notices that reach people: the scheduler's outbox marks, 预警 marks, per-user notice settings

human_tasks gain `announced_at` (the 新任务 notice of the task was written; NULL = still to do, read
through a partial index), `warn_at` (when the configured share of its clock is used) and `warned_at`
(the 预警 notice was written). notice_cursors holds how far the scheduler has turned the audit rows
(returns, outcomes) into notices. notice_preferences holds each user's choice per kind of notice,
in-app and e-mail apart; notifications say which of the two channels a notice goes to.
Existing tasks count as announced and the cursor starts at the chain's head, so an upgrade sends
nothing about the past.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UNANNOUNCED = "announced_at IS NULL"
UNWARNED = "warned_at IS NULL AND warn_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('warn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_app', sa.Boolean(), nullable=False, server_default=sa.text("true")))
        batch_op.add_column(sa.Column('email', sa.Boolean(), nullable=False, server_default=sa.text("true")))
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE human_tasks SET announced_at = created_at, warned_at = created_at"))
    op.create_index('ix_human_tasks_unannounced', 'human_tasks', ['id'],
                    postgresql_where=sa.text(UNANNOUNCED), sqlite_where=sa.text(UNANNOUNCED))
    op.create_index('ix_human_tasks_warn', 'human_tasks', ['warn_at'],
                    postgresql_where=sa.text(UNWARNED), sqlite_where=sa.text(UNWARNED))
    op.create_table('notice_cursors',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    head = bind.execute(sa.text("SELECT coalesce(max(seq), 0) FROM audit_events")).scalar() or 0
    bind.execute(sa.text("INSERT INTO notice_cursors (name, seq, updated_at) VALUES ('audit', :seq, CURRENT_TIMESTAMP)"),
                 {"seq": head})
    op.create_table('notice_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('in_app', sa.Boolean(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind')
    )


def downgrade() -> None:
    op.drop_table('notice_preferences')
    op.drop_table('notice_cursors')
    op.drop_index('ix_human_tasks_warn', table_name='human_tasks')
    op.drop_index('ix_human_tasks_unannounced', table_name='human_tasks')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('email')
        batch_op.drop_column('in_app')
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('warned_at')
        batch_op.drop_column('warn_at')
        batch_op.drop_column('announced_at')
