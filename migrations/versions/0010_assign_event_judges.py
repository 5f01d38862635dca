"""event judges: who accepted an invitation to judge an event ("Add all judges" adds only them)

Revision ID: 0010_event_judges
Revises: 0009_results
Create Date: 2026-12-04 14:50:00

Existing data: judges who were invited to an event (the audit's "judging.judge_invited", by email) and hold
the judge role become judges of that event: before this table, accepting an invitation recorded only the role.
"""
import json

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_event_judges'
down_revision = '0009_results'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_judges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_judges_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_event_judges_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_judges')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_event_judges_event_id_user_id'))
    )
    with op.batch_alter_table('event_judges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_judges_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_judges_user_id'), ['user_id'], unique=False)

    connection = op.get_bind()
    judges = {email.lower(): user_id for user_id, email in connection.execute(sa.text(
        "SELECT u.id, u.email FROM users u JOIN role_grants r ON r.user_id = u.id WHERE r.role = 'judge'"))}
    events = {event_id for (event_id,) in connection.execute(sa.text("SELECT id FROM events"))}
    first_invited = {}
    for event_id, changes, at in connection.execute(sa.text(
            "SELECT target_id, changes, at FROM audit_entries WHERE action = 'judging.judge_invited' "
            "AND target_type = 'Event' ORDER BY at, id")):
        details = json.loads(changes) if isinstance(changes, str) else changes or {}
        user_id = judges.get(str(details.get("email", "")).lower())
        if user_id is not None and event_id in events:
            first_invited.setdefault((event_id, user_id), at)
    for (event_id, user_id), at in sorted(first_invited.items()):
        connection.execute(sa.text("INSERT INTO event_judges (event_id, user_id, accepted_at) VALUES (:event, :user, :at)"),
                           {"event": event_id, "user": user_id, "at": at})


def downgrade():
    with op.batch_alter_table('event_judges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_judges_user_id'))
        batch_op.drop_index(batch_op.f('ix_event_judges_event_id'))

    op.drop_table('event_judges')
