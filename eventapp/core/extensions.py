"""Extensions are created here and bound to the app in create_app()."""
from flask_babel import Babel
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Session(FlaskSession):
    """A session that runs what the committed work queued for after its commit (``after_commit``), and
    forgets it on rollback: signals describe what is stored, never what was undone."""

    def commit(self) -> None:
        super().commit()
        while self.info.get("after_commit"):
            callbacks, self.info["after_commit"] = self.info["after_commit"], []
            for callback in callbacks:
                callback()

    def rollback(self) -> None:
        super().rollback()
        self.info.pop("after_commit", None)

    def after_commit(self, callback) -> None:
        """Run ``callback()`` once the current transaction is committed (never if it is rolled back)."""
        self.info.setdefault("after_commit", []).append(callback)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
cache = Cache()  # bound by core.page_cache.init_app: Redis when REDIS_URL is set, else the process
limiter = Limiter(key_func=get_remote_address)
