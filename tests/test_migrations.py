"""Every migration applies to an empty database, and the result is exactly what the models say."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, make_url, select, text

from eventapp.core.extensions import db
from eventapp.events.models import County, Province

from .helpers import make_app


@pytest.fixture
def empty_database_url(tmp_path):
    """A new, empty database of the kind the suite runs on."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    server = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{server.database}_migrations"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_match_the_models_and_load_the_places(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        assert db.session.scalar(select(db.func.count()).select_from(Province)) == 31
        assert db.session.scalar(select(db.func.count()).select_from(County)) == 448
        yazd = db.session.scalar(select(Province).where(Province.name_en == "Yazd"))
        assert yazd.name_fa == "یزد"
        db.session.remove()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_every_revision_id_fits_alembic_version_on_postgresql():
    """alembic_version.version_num is VARCHAR(32): a longer id fails the upgrade on PostgreSQL (SQLite ignores it)."""
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    revisions = [re.search(r"^revision = '([^']+)'", path.read_text(), re.M).group(1) for path in folder.glob("*.py")]
    assert revisions and [revision for revision in revisions if len(revision) > 32] == []
