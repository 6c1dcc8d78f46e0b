"""accounts and audit chain: browser sessions, sign-in throttling, the audit hash chain

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 09:00:00

The audit rows already there are chained in id order (the hash below is the one
engine/services/audit.py computes: keep the two alike).
"""
import hashlib
import json
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
GENESIS = "0" * 64


def _canonical(seq, event, instance_id, actor_id, element_id, data, at) -> str:
    if at.tzinfo is None:       # SQLite hands back the stored UTC instant without its offset
        at = at.replace(tzinfo=timezone.utc)
    body = {"seq": seq, "event": event, "instance": instance_id, "actor": actor_id, "element": element_id,
            "data": data, "at": at.astimezone(timezone.utc).isoformat(timespec="microseconds")}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _link(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('login_throttles',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lock_level', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kind', 'key')
    )

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('audit_instance_heads',
    sa.Column('instance_id', BigId, autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id')
    )

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_audit_events_seq', ['seq'], unique=True)

    _chain_existing_rows()


def _chain_existing_rows() -> None:
    """Chain the rows written before the chain existed, in id order, and write the heads."""
    bind = op.get_bind()
    events = sa.table('audit_events', sa.column('id', BigId), sa.column('instance_id', BigId),
                      sa.column('actor_id', sa.Integer()), sa.column('event', sa.String()),
                      sa.column('element_id', sa.String()), sa.column('at', sa.DateTime(timezone=True)),
                      sa.column('data', sa.JSON()), sa.column('seq', sa.BigInteger()),
                      sa.column('prev_hash', sa.String()), sa.column('row_hash', sa.String()))
    rows = bind.execute(sa.select(events.c.id, events.c.instance_id, events.c.actor_id, events.c.event,
                                  events.c.element_id, events.c.at, events.c.data).order_by(events.c.id)).all()
    seq, last_hash, instances, updates = 0, GENESIS, {}, []
    for row in rows:
        seq += 1
        digest = _link(last_hash, _canonical(seq, row.event, row.instance_id, row.actor_id, row.element_id,
                                             row.data, row.at))
        updates.append({"row_id": row.id, "seq": seq, "prev_hash": last_hash, "row_hash": digest})
        last_hash = digest
        if row.instance_id is not None:
            count = instances.get(row.instance_id, (0,))[0]
            instances[row.instance_id] = (count + 1, seq, digest)
    if updates:
        bind.execute(events.update().where(events.c.id == sa.bindparam("row_id"))
                     .values(seq=sa.bindparam("seq"), prev_hash=sa.bindparam("prev_hash"),
                             row_hash=sa.bindparam("row_hash")), updates)
    head = sa.table('audit_head', sa.column('id', sa.Integer()), sa.column('seq', sa.BigInteger()),
                    sa.column('last_hash', sa.String()))
    bind.execute(head.insert().values(id=1, seq=seq, last_hash=last_hash))
    if instances:
        heads = sa.table('audit_instance_heads', sa.column('instance_id', BigId), sa.column('count', sa.Integer()),
                         sa.column('last_seq', sa.BigInteger()), sa.column('last_hash', sa.String()))
        bind.execute(heads.insert(), [{"instance_id": iid, "count": count, "last_seq": last, "last_hash": digest}
                                      for iid, (count, last, digest) in instances.items()])


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_seq')
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
    op.drop_table('audit_instance_heads')
    op.drop_table('audit_head')
    op.drop_table('login_throttles')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')
