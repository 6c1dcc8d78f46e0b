"""a unit-scoped role resolved in the unit a project names (九江: the county it is declared for)

`human_tasks.scope_unit_id`: the unit a role with `unit_from` is held in when it is not the applicant's
(NULL: the applicant's unit), with a partial index for the inbox of that unit's users.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 20:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_tasks') as batch_op:
        batch_op.add_column(sa.Column('scope_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_human_tasks_scope_unit_id_units', 'units', ['scope_unit_id'], ['id'])
    op.create_index('ix_human_tasks_scope_unit', 'human_tasks', ['scope_unit_id', 'state'],
                    postgresql_where=sa.text("scope_unit_id IS NOT NULL"),
                    sqlite_where=sa.text("scope_unit_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index('ix_human_tasks_scope_unit', table_name='human_tasks')
    with op.batch_alter_table('human_tasks') as batch_op:
        batch_op.drop_constraint('fk_human_tasks_scope_unit_id_units', type_='foreignkey')
        batch_op.drop_column('scope_unit_id')
