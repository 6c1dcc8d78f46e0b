"""the managers' pages at 100,000 projects: indexes the live parts read, sorts served by indexes

human_tasks: the dashboard's overdue and 预警 lists and their counts read one partial index of the ready
rows (jurisdiction, due_at, warn_at), so 预警 is read without the table and ix_human_tasks_warn_list goes
(ix_human_tasks_due stays: the snapshot's queries of a jurisdiction start from it); the search's "waiting
at a bureau" a partial index of the ready rows by role (with the instance, so the semi-join is read from
the index alone); the overlay's list behind a count the ready rows of an element in due-date order.

process_instances: the search's sorts by due date, name and end each served by an index, and on
PostgreSQL one covering index the search's counts are read from (status, start, and the filtered
columns INCLUDEd), and — when the pg_trgm extension can be created — a trigram index on the project
name for searches of three characters or more. Without pg_trgm the search works the same, by a scan.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:00:00
"""
import logging

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
READY = "state = 'ready'"
SEARCH_INCLUDE = ['process_key', 'phase', 'outcome', 'applicant_unit_id', 'investment', 'earliest_due_at']


def _ready(name: str, columns: list[str]) -> None:
    op.create_index(name, 'human_tasks', columns, postgresql_where=sa.text(READY), sqlite_where=sa.text(READY))


def upgrade() -> None:
    op.drop_index('ix_human_tasks_warn_list', table_name='human_tasks')
    op.drop_index('ix_human_tasks_ready_element', table_name='human_tasks')
    _ready('ix_human_tasks_ready_due', ['jurisdiction', 'due_at', 'warn_at'])
    _ready('ix_human_tasks_ready_role', ['jurisdiction', 'role_key', 'instance_id'])
    _ready('ix_human_tasks_ready_element', ['process_key', 'element_id', 'due_at', 'instance_id'])
    op.create_index('ix_instances_due', 'process_instances', ['jurisdiction', 'earliest_due_at'])
    op.create_index('ix_instances_name', 'process_instances', ['jurisdiction', 'project_name'])
    op.create_index('ix_instances_ended', 'process_instances', ['jurisdiction', 'ended_at'])
    op.create_index('ix_instances_search', 'process_instances', ['jurisdiction', 'status', 'created_at'],
                    postgresql_include=SEARCH_INCLUDE)
    if op.get_bind().dialect.name == 'postgresql':
        _trigram_index()


def _trigram_index() -> None:
    """The trigram index on the project name, if pg_trgm is installed or can be (a superuser, or a
    trusted extension); else the name search scans, and says so in the log."""
    bind = op.get_bind()
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as refused:
        savepoint.rollback()
        log.warning("pg_trgm unavailable (%s): project names are searched without a trigram index",
                    str(refused.orig).splitlines()[0])
        return
    savepoint.commit()
    op.create_index('ix_instances_name_trgm', 'process_instances', ['project_name'], postgresql_using='gin',
                    postgresql_ops={'project_name': 'gin_trgm_ops'})


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        bind.exec_driver_sql("DROP INDEX IF EXISTS ix_instances_name_trgm")
    for name in ('ix_instances_search', 'ix_instances_ended', 'ix_instances_name', 'ix_instances_due'):
        op.drop_index(name, table_name='process_instances')
    for name in ('ix_human_tasks_ready_element', 'ix_human_tasks_ready_role', 'ix_human_tasks_ready_due'):
        op.drop_index(name, table_name='human_tasks')
    _ready('ix_human_tasks_ready_element', ['process_key', 'element_id', 'instance_id', 'due_at'])
    op.create_index('ix_human_tasks_warn_list', 'human_tasks', ['jurisdiction', 'state', 'warn_at'])
