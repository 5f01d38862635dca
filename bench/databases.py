"""The database a benchmark runs on: a temporary SQLite file, or its own PostgreSQL database."""
import contextlib
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from eventapp.config import database_url as normalise_url
from eventapp.core.extensions import db


@contextlib.contextmanager
def bench_database(url: str | None, suffix: str):
    """(dialect name, URL) of an empty database that only this run uses; removed afterwards.

    On PostgreSQL the database is named after the one in ``url`` plus ``suffix``, so a benchmark
    never touches the tables of the test database it was pointed at.
    """
    if not url:
        with tempfile.TemporaryDirectory(prefix=f"bench{suffix}-") as folder:
            yield "sqlite", f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    parsed = make_url(normalise_url(url, Path(".")))
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"--database-url: SQLite (the default) or PostgreSQL, not {parsed.get_backend_name()}")
    name = f"{parsed.database or 'postgres'}{suffix}"
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield "postgresql", parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def analyze() -> None:
    """On PostgreSQL, what autovacuum does a minute after a bulk load."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def insert_rows(table, rows: list[dict], returning=None, batch: int = 2000) -> list:
    """Core INSERTs in batches of ``batch`` rows; the ``returning`` column's values in the rows' order."""
    found = []
    for start in range(0, len(rows), batch):
        part = rows[start:start + batch]
        if returning is None:
            db.session.execute(insert(table), part)
        else:
            found += db.session.scalars(insert(table).returning(returning, sort_by_parameter_order=True), part).all()
    return found
