"""bulk issuing jobs: one unfinished job of a kind per event, claimed by the run that makes its documents

Revision ID: 0011_jobs_claim
Revises: 0010_event_judges
Create Date: 2026-12-04 14:50:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011_jobs_claim'
down_revision = '0010_event_judges'
branch_labels = None
depends_on = None

UNFINISHED = "status IN ('queued', 'running')"


def upgrade():
    with op.batch_alter_table('certificate_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('auto_resumes', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('certificate_jobs', schema=None) as batch_op:
        batch_op.alter_column('owner', server_default=None)
        batch_op.alter_column('auto_resumes', server_default=None)
    # Of the unfinished jobs of a kind queued twice before this revision, the newest stays; the others stop.
    op.execute(f"""UPDATE certificate_jobs SET status = 'failed', finished_at = CURRENT_TIMESTAMP
                   WHERE {UNFINISHED} AND id < (SELECT MAX(newer.id) FROM certificate_jobs AS newer
                       WHERE newer.event_id = certificate_jobs.event_id AND newer.kind = certificate_jobs.kind
                       AND newer.status IN ('queued', 'running'))""")
    op.create_index('uq_certificate_jobs_unfinished', 'certificate_jobs', ['event_id', 'kind'], unique=True,
                    sqlite_where=sa.text(UNFINISHED), postgresql_where=sa.text(UNFINISHED))


def downgrade():
    op.drop_index('uq_certificate_jobs_unfinished', table_name='certificate_jobs')
    with op.batch_alter_table('certificate_jobs', schema=None) as batch_op:
        batch_op.drop_column('auto_resumes')
        batch_op.drop_column('owner')
