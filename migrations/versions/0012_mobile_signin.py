"""mobile sign-in: one-time SMS codes, and when an account's mobile number was verified

Revision ID: 0012_mobile_signin
Revises: 0011_jobs_claim
Create Date: 2026-12-06 10:20:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012_mobile_signin'
down_revision = '0011_jobs_claim'
branch_labels = None
depends_on = None

VERIFIED_MOBILE = "mobile_verified_at IS NOT NULL"


def upgrade():
    op.create_table('one_time_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_one_time_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_codes'))
    )
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_one_time_codes_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_one_time_codes_mobile'), ['mobile'], unique=False)
        batch_op.create_index(batch_op.f('ix_one_time_codes_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mobile_verified_at', sa.DateTime(), nullable=True))
    # No account has a verified number yet, so the index holds from the start.
    op.create_index('uq_users_verified_mobile', 'users', ['mobile'], unique=True,
                    sqlite_where=sa.text(VERIFIED_MOBILE), postgresql_where=sa.text(VERIFIED_MOBILE))


def downgrade():
    op.drop_index('uq_users_verified_mobile', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('mobile_verified_at')

    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_time_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_one_time_codes_mobile'))
        batch_op.drop_index(batch_op.f('ix_one_time_codes_address'))

    op.drop_table('one_time_codes')
