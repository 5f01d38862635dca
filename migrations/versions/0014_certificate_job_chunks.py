"""bulk issues in chunks: each a queue job of its own, claimed by the worker that makes its documents

Revision ID: 0014_certificate_job_chunks
Revises: 0013_notifications
Create Date: 2026-12-08 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_certificate_job_chunks'
down_revision = '0013_notifications'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_job_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['certificate_jobs.id'], name=op.f('fk_certificate_job_chunks_job_id_certificate_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_job_chunks')),
    sa.UniqueConstraint('job_id', 'number', name=op.f('uq_certificate_job_chunks_job_id_number'))
    )
    with op.batch_alter_table('certificate_job_chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_job_chunks_job_id'), ['job_id'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate_job_chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_job_chunks_job_id'))
    op.drop_table('certificate_job_chunks')
