"""instance summaries (open tasks, earliest due date, audit head) on the instance row; 已办 index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 09:00:00

Each instance row keeps how many tasks are open and the earliest due date among them (overviews
read them instead of aggregating every open task); each instance's audit count and last hash move
from audit_instance_heads onto process_instances (a step already writes that row, so the chain costs
it no statement of its own); the 已办 tab's count reads a partial index of completed tasks.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('audit_last_seq', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('audit_last_hash', sa.String(length=64), nullable=False,
                                      server_default=GENESIS))
        batch_op.add_column(sa.Column('open_tasks', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('earliest_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_instances_waiting', ['jurisdiction', 'status', 'earliest_due_at'], unique=False)
    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE process_instances SET "
        "open_tasks = (SELECT count(*) FROM human_tasks t WHERE t.instance_id = process_instances.id "
        "AND t.state = 'ready'), "
        "earliest_due_at = (SELECT min(t.due_at) FROM human_tasks t WHERE t.instance_id = process_instances.id "
        "AND t.state = 'ready')"))
    heads = sa.table('audit_instance_heads', sa.column('instance_id', BigId), sa.column('count', sa.Integer()),
                     sa.column('last_seq', sa.BigInteger()), sa.column('last_hash', sa.String()))
    instances = sa.table('process_instances', sa.column('id', BigId), sa.column('audit_count', sa.Integer()),
                         sa.column('audit_last_seq', sa.BigInteger()), sa.column('audit_last_hash', sa.String()))
    for iid, count, last_seq, last_hash in bind.execute(sa.select(heads.c.instance_id, heads.c.count,
                                                                  heads.c.last_seq, heads.c.last_hash)).all():
        bind.execute(instances.update().where(instances.c.id == iid)
                     .values(audit_count=count, audit_last_seq=last_seq, audit_last_hash=last_hash))
    op.drop_table('audit_instance_heads')
    op.create_index('ix_human_tasks_done', 'human_tasks', ['completed_by_id', 'completed_at'],
                    postgresql_where=sa.text("state = 'completed'"), sqlite_where=sa.text("state = 'completed'"))


def downgrade() -> None:
    op.drop_index('ix_human_tasks_done', table_name='human_tasks')
    op.create_table('audit_instance_heads',
    sa.Column('instance_id', BigId, autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id')
    )
    bind = op.get_bind()
    bind.execute(sa.text("INSERT INTO audit_instance_heads (instance_id, count, last_seq, last_hash) "
                         "SELECT id, audit_count, audit_last_seq, audit_last_hash FROM process_instances "
                         "WHERE audit_count > 0"))
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_waiting')
        batch_op.drop_column('earliest_due_at')
        batch_op.drop_column('open_tasks')
        batch_op.drop_column('audit_last_hash')
        batch_op.drop_column('audit_last_seq')
        batch_op.drop_column('audit_count')
