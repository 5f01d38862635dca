"""accounts, events, places, audit

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 09:34:59.348983

"""
import sqlalchemy as sa
from alembic import op

from eventapp.events.places import read_places


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('provinces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Integer(), nullable=False),
    sa.Column('name_fa', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provinces')),
    sa.UniqueConstraint('code', name=op.f('uq_provinces_code')),
    sa.UniqueConstraint('name_en', name=op.f('uq_provinces_name_en')),
    sa.UniqueConstraint('name_fa', name=op.f('uq_provinces_name_fa'))
    )
    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_failures_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failures_email'), ['email'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=64), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('target_label', sa.String(length=300), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_at'), ['at'], unique=False)

    op.create_table('counties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('name_fa', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_counties_province_id_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counties')),
    sa.UniqueConstraint('province_id', 'name_en', name=op.f('uq_counties_province_id_name_en')),
    sa.UniqueConstraint('province_id', 'name_fa', name=op.f('uq_counties_province_id_name_fa'))
    )
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counties_province_id'), ['province_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('title_fa', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('description_fa', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_events_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_events_province_id_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('slug', name=op.f('uq_events_slug'))
    )
    op.create_table('password_reset_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_reset_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_tokens_token_hash'))
    )
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('role_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_role_grants_granted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grants')),
    sa.UniqueConstraint('user_id', 'role', name=op.f('uq_role_grants_user_id_role'))
    )
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grants_user_id'), ['user_id'], unique=False)

    op.create_table('phases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_phases_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phases')),
    sa.UniqueConstraint('event_id', 'kind', name=op.f('uq_phases_event_id_kind'))
    )
    with op.batch_alter_table('phases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phases_event_id'), ['event_id'], unique=False)
    _load_places()


def _load_places():
    """Iran's provinces and counties are reference data every database starts with."""
    provinces, counties = read_places()
    province_table = sa.table("provinces", sa.column("id", sa.Integer), sa.column("code", sa.Integer),
                              sa.column("name_fa", sa.String), sa.column("name_en", sa.String))
    county_table = sa.table("counties", sa.column("province_id", sa.Integer),
                            sa.column("name_fa", sa.String), sa.column("name_en", sa.String))
    op.bulk_insert(province_table, [{"id": row["code"] + 1, **row} for row in provinces])
    op.bulk_insert(county_table, [
        {"province_id": row["province_code"] + 1, "name_fa": row["name_fa"], "name_en": row["name_en"]}
        for row in counties
    ])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval('provinces_id_seq', (SELECT max(id) FROM provinces))")


def downgrade():
    
    with op.batch_alter_table('phases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phases_event_id'))

    op.drop_table('phases')
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grants_user_id'))

    op.drop_table('role_grants')
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_tokens_user_id'))

    op.drop_table('password_reset_tokens')
    op.drop_table('events')
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counties_province_id'))

    op.drop_table('counties')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_action'))

    op.drop_table('audit_entries')
    op.drop_table('users')
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_email'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_at'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_address'))

    op.drop_table('sign_in_failures')
    op.drop_table('provinces')

