"""pipeline, observatory reference figures and API tokens (with the default pipeline stages)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 13:37:52.775209

"""
from alembic import op
import sqlalchemy as sa

# A copy, not an import: a migration must keep meaning what it meant when it was written.
DEFAULT_STAGES = (
    ("selected", "برگزیده", "Selected", "active"),
    ("agreement", "امضای تفاهم‌نامه", "Agreement signed", "active"),
    ("planning", "برنامه‌ریزی", "Planning", "active"),
    ("implementation", "اجرا", "Implementation", "active"),
    ("monitoring", "پایش", "Monitoring", "active"),
    ("completed", "پایان‌یافته", "Completed", "completed"),
    ("on_hold", "متوقف موقت", "On hold", "on_hold"),
    ("dropped", "کنار گذاشته", "Dropped", "dropped"),
)


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('pipeline_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=30), nullable=False),
    sa.Column('name_fa', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_stages')),
    sa.UniqueConstraint('key', name=op.f('uq_pipeline_stages_key'))
    )
    op.create_table('reference_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('name_fa', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_indicators')),
    sa.UniqueConstraint('key', name=op.f('uq_reference_indicators_key'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('reference_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['reference_indicators.id'], name=op.f('fk_reference_values_indicator_id_reference_indicators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_reference_values_province_id_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_values')),
    sa.UniqueConstraint('indicator_id', 'province_id', name=op.f('uq_reference_values_indicator_id_province_id'))
    )
    with op.batch_alter_table('reference_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_values_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('pipeline_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('award', sa.String(length=20), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('stage_reason', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('next_step', sa.String(length=300), nullable=False),
    sa.Column('next_step_due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_update_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_pipeline_projects_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['map_id'], ['progress_maps.id'], name=op.f('fk_pipeline_projects_map_id_progress_maps'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_pipeline_projects_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_pipeline_projects_province_id_provinces')),
    sa.ForeignKeyConstraint(['stage_id'], ['pipeline_stages.id'], name=op.f('fk_pipeline_projects_stage_id_pipeline_stages')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_pipeline_projects_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_projects')),
    sa.UniqueConstraint('team_id', name=op.f('uq_pipeline_projects_team_id'))
    )
    with op.batch_alter_table('pipeline_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_projects_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pipeline_projects_last_update_at'), ['last_update_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pipeline_projects_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pipeline_projects_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pipeline_projects_stage_id'), ['stage_id'], unique=False)

    op.create_table('pipeline_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['pipeline_projects.id'], name=op.f('fk_pipeline_indicators_project_id_pipeline_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_indicators'))
    )
    with op.batch_alter_table('pipeline_indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_indicators_project_id'), ['project_id'], unique=False)

    op.create_table('pipeline_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['pipeline_projects.id'], name=op.f('fk_pipeline_milestones_project_id_pipeline_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_milestones'))
    )
    with op.batch_alter_table('pipeline_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_milestones_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_pipeline_milestones_project_id'), ['project_id'], unique=False)

    op.create_table('pipeline_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_pipeline_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['pipeline_projects.id'], name=op.f('fk_pipeline_notes_project_id_pipeline_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_notes'))
    )
    with op.batch_alter_table('pipeline_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_notes_project_id'), ['project_id'], unique=False)

    op.create_table('pipeline_partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['pipeline_projects.id'], name=op.f('fk_pipeline_partners_project_id_pipeline_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_partners'))
    )
    with op.batch_alter_table('pipeline_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_partners_project_id'), ['project_id'], unique=False)

    op.create_table('pipeline_stage_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('from_stage_id', sa.Integer(), nullable=True),
    sa.Column('to_stage_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('moved_by_id', sa.Integer(), nullable=True),
    sa.Column('moved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['from_stage_id'], ['pipeline_stages.id'], name=op.f('fk_pipeline_stage_moves_from_stage_id_pipeline_stages')),
    sa.ForeignKeyConstraint(['moved_by_id'], ['users.id'], name=op.f('fk_pipeline_stage_moves_moved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['pipeline_projects.id'], name=op.f('fk_pipeline_stage_moves_project_id_pipeline_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_stage_id'], ['pipeline_stages.id'], name=op.f('fk_pipeline_stage_moves_to_stage_id_pipeline_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_stage_moves'))
    )
    with op.batch_alter_table('pipeline_stage_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_stage_moves_project_id'), ['project_id'], unique=False)

    op.create_table('pipeline_note_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['pipeline_notes.id'], name=op.f('fk_pipeline_note_attachments_note_id_pipeline_notes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_note_attachments'))
    )
    with op.batch_alter_table('pipeline_note_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_note_attachments_note_id'), ['note_id'], unique=False)

    op.create_table('pipeline_readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', sa.DateTime(), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['indicator_id'], ['pipeline_indicators.id'], name=op.f('fk_pipeline_readings_indicator_id_pipeline_indicators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['posted_by_id'], ['users.id'], name=op.f('fk_pipeline_readings_posted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_pipeline_readings_verified_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_readings'))
    )
    with op.batch_alter_table('pipeline_readings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_readings_indicator_id'), ['indicator_id'], unique=False)
    stages = sa.table("pipeline_stages", sa.column("key", sa.String), sa.column("name_fa", sa.String),
                      sa.column("name_en", sa.String), sa.column("position", sa.Integer), sa.column("kind", sa.String))
    op.bulk_insert(stages, [
        {"key": key, "name_fa": name_fa, "name_en": name_en, "position": position, "kind": kind}
        for position, (key, name_fa, name_en, kind) in enumerate(DEFAULT_STAGES)])


def downgrade():

    with op.batch_alter_table('pipeline_readings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_readings_indicator_id'))

    op.drop_table('pipeline_readings')
    with op.batch_alter_table('pipeline_note_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_note_attachments_note_id'))

    op.drop_table('pipeline_note_attachments')
    with op.batch_alter_table('pipeline_stage_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_stage_moves_project_id'))

    op.drop_table('pipeline_stage_moves')
    with op.batch_alter_table('pipeline_partners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_partners_project_id'))

    op.drop_table('pipeline_partners')
    with op.batch_alter_table('pipeline_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_notes_project_id'))

    op.drop_table('pipeline_notes')
    with op.batch_alter_table('pipeline_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_milestones_project_id'))
        batch_op.drop_index(batch_op.f('ix_pipeline_milestones_due_on'))

    op.drop_table('pipeline_milestones')
    with op.batch_alter_table('pipeline_indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_indicators_project_id'))

    op.drop_table('pipeline_indicators')
    with op.batch_alter_table('pipeline_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_projects_stage_id'))
        batch_op.drop_index(batch_op.f('ix_pipeline_projects_province_id'))
        batch_op.drop_index(batch_op.f('ix_pipeline_projects_owner_id'))
        batch_op.drop_index(batch_op.f('ix_pipeline_projects_last_update_at'))
        batch_op.drop_index(batch_op.f('ix_pipeline_projects_event_id'))

    op.drop_table('pipeline_projects')
    with op.batch_alter_table('reference_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_values_indicator_id'))

    op.drop_table('reference_values')
    op.drop_table('api_tokens')
    op.drop_table('reference_indicators')
    op.drop_table('pipeline_stages')

