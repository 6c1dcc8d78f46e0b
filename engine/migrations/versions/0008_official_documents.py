"""official documents: the documents a step issues (受理通知书, 不予受理通知书, 补正通知, 联合审查意见汇总,
批复), numbered per jurisdiction, series (the number's prefix) and year (document_counters), with the frozen snapshot and the PDF.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'documents',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('instance_id', BIG_ID, nullable=False),
        sa.Column('human_task_id', BIG_ID, nullable=True),
        sa.Column('jurisdiction', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('element_id', sa.String(length=120), nullable=False),
        sa.Column('rule', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('series', sa.String(length=40), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=True),
        sa.Column('number', sa.String(length=100), nullable=True),
        sa.Column('snapshot', sa.JSON(), nullable=True),
        sa.Column('pdf', sa.LargeBinary(), nullable=True),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['human_task_id'], ['human_tasks.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('jurisdiction', 'series', 'year', 'sequence', name='uq_documents_number'),
    )
    op.create_index('ix_documents_instance_id', 'documents', ['instance_id'], unique=False)
    op.create_table(
        'document_counters',
        sa.Column('jurisdiction', sa.String(length=32), nullable=False),
        sa.Column('series', sa.String(length=40), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('jurisdiction', 'series', 'year'),
    )


def downgrade() -> None:
    op.drop_table('document_counters')
    op.drop_index('ix_documents_instance_id', table_name='documents')
    op.drop_table('documents')
