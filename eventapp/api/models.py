"""Partners' API tokens."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.database import UTCDateTime, utcnow
from ..core.extensions import db
from .enums import ApiScope


class ApiToken(db.Model):
    """A partner's key to the API: only its SHA-256 is kept; the token itself is shown once."""
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # the partner organisation
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to recognise it in lists
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)  # ApiScope values
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def labelled_scopes(self) -> list[tuple[str, str]]:
        """(scope, its label) of each scope the token carries."""
        return [(scope, ApiScope.label_of(scope)) for scope in self.scopes or ()]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
