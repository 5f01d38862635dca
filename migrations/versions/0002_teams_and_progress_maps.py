"""teams and progress maps

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:54:40.565331

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('organisation_type', sa.String(length=20), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('introduction', sa.Text(), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=11), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('screening_selected', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['counties.id'], name=op.f('fk_teams_county_id_counties')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_teams_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_teams_province_id_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('event_id', 'name', name=op.f('uq_teams_event_id_name'))
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_teams_organisation_type'), ['organisation_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_teams_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_teams_status'), ['status'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_invitations_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_team_id'), ['team_id'], unique=False)

    op.create_table('progress_maps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('knowledge', sa.Text(), nullable=False),
    sa.Column('capacities', sa.Text(), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('people_role', sa.Text(), nullable=False),
    sa.Column('sustainability', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['counties.id'], name=op.f('fk_progress_maps_county_id_counties')),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_progress_maps_province_id_provinces')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_progress_maps_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_progress_maps_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_maps')),
    sa.UniqueConstraint('team_id', name=op.f('uq_progress_maps_team_id'))
    )
    with op.batch_alter_table('progress_maps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_maps_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_maps_status'), ['status'], unique=False)

    op.create_table('team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('national_id', sa.String(length=10), nullable=False),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_team_members_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_members')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_team_members_event_id_user_id'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('team_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_team_status_changes_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_status_changes_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_status_changes'))
    )
    with op.batch_alter_table('team_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_status_changes_team_id'), ['team_id'], unique=False)

    op.create_table('map_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=300), nullable=False),
    sa.Column('responsible', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('resources', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['map_id'], ['progress_maps.id'], name=op.f('fk_map_actions_map_id_progress_maps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_actions'))
    )
    with op.batch_alter_table('map_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_actions_map_id'), ['map_id'], unique=False)

    op.create_table('map_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['map_id'], ['progress_maps.id'], name=op.f('fk_map_attachments_map_id_progress_maps'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_map_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_attachments'))
    )
    with op.batch_alter_table('map_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_attachments_map_id'), ['map_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_attachments_sha256'), ['sha256'], unique=False)

    op.create_table('map_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['map_id'], ['progress_maps.id'], name=op.f('fk_map_indicators_map_id_progress_maps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_indicators'))
    )
    with op.batch_alter_table('map_indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_indicators_map_id'), ['map_id'], unique=False)

    op.create_table('map_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['map_id'], ['progress_maps.id'], name=op.f('fk_map_revisions_map_id_progress_maps'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_map_revisions_submitted_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_revisions')),
    sa.UniqueConstraint('map_id', 'number', name=op.f('uq_map_revisions_map_id_number'))
    )
    with op.batch_alter_table('map_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_revisions_map_id'), ['map_id'], unique=False)

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_team_size', sa.Integer(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('max_team_size', sa.Integer(), nullable=False, server_default='10'))



def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('max_team_size')
        batch_op.drop_column('min_team_size')

    with op.batch_alter_table('map_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_revisions_map_id'))

    op.drop_table('map_revisions')
    with op.batch_alter_table('map_indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_indicators_map_id'))

    op.drop_table('map_indicators')
    with op.batch_alter_table('map_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_attachments_sha256'))
        batch_op.drop_index(batch_op.f('ix_map_attachments_map_id'))

    op.drop_table('map_attachments')
    with op.batch_alter_table('map_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_actions_map_id'))

    op.drop_table('map_actions')
    with op.batch_alter_table('team_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_status_changes_team_id'))

    op.drop_table('team_status_changes')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_team_members_team_id'))

    op.drop_table('team_members')
    with op.batch_alter_table('progress_maps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_maps_status'))
        batch_op.drop_index(batch_op.f('ix_progress_maps_province_id'))

    op.drop_table('progress_maps')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_team_id'))

    op.drop_table('invitations')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_status'))
        batch_op.drop_index(batch_op.f('ix_teams_province_id'))
        batch_op.drop_index(batch_op.f('ix_teams_organisation_type'))
        batch_op.drop_index(batch_op.f('ix_teams_event_id'))

    op.drop_table('teams')
