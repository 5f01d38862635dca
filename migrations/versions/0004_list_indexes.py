"""indexes for the organisers' lists

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:09:26.167059

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('progress_maps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_maps_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_event_id'))
        batch_op.create_index('ix_teams_event_id_id', ['event_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index('ix_teams_event_id_id')
        batch_op.create_index(batch_op.f('ix_teams_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('progress_maps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_maps_updated_at'))

