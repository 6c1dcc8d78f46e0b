"""process versions: change note and the forms deployed with them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_versions') as batch:
        batch.add_column(sa.Column('note', sa.Text(), nullable=True))
        # {form name: schema JSON text} as deployed with this version: a running version's forms never
        # change under it (NULL for versions deployed before: they read forms/ as before)
        batch.add_column(sa.Column('forms', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('process_versions') as batch:
        batch.drop_column('forms')
        batch.drop_column('note')
