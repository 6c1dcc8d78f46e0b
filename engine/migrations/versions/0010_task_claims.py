"""签收 / 转办 / 委托 / 暂存 on human tasks, and comments on projects and tasks

human_tasks gain the holder who claimed the task (assignee_id, claimed_at), the colleague it was last
delegated to and where that delegation stands (delegate_id, delegation: `out` | `back` | NULL), and the
saved draft of its form (draft, draft_saved_at); `comments` holds comments on a project or a task.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delegate_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delegation', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('draft', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('draft_saved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_human_tasks_assignee_id_users', 'users', ['assignee_id'], ['id'])
        batch_op.create_foreign_key('fk_human_tasks_delegate_id_users', 'users', ['delegate_id'], ['id'])
        batch_op.create_index('ix_human_tasks_assignee', ['assignee_id', 'state'], unique=False)
        batch_op.create_index('ix_human_tasks_delegate', ['delegate_id', 'delegation'], unique=False)
    op.create_table(
        'comments',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('instance_id', BIG_ID, nullable=False),
        sa.Column('human_task_id', BIG_ID, nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('attachment_id', BIG_ID, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['human_task_id'], ['human_tasks.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['author_id'], ['users.id']),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_comments_instance_id', 'comments', ['instance_id'], unique=False)
    op.create_index('ix_comments_human_task_id', 'comments', ['human_task_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_comments_human_task_id', table_name='comments')
    op.drop_index('ix_comments_instance_id', table_name='comments')
    op.drop_table('comments')
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_human_tasks_delegate')
        batch_op.drop_index('ix_human_tasks_assignee')
        batch_op.drop_constraint('fk_human_tasks_delegate_id_users', type_='foreignkey')
        batch_op.drop_constraint('fk_human_tasks_assignee_id_users', type_='foreignkey')
        for column in ('draft_saved_at', 'draft', 'delegation', 'delegate_id', 'claimed_at', 'assignee_id'):
            batch_op.drop_column(column)
