from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import UTCDateTime, utcnow
from ..core.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(String(300), default="")
    # {"field": [old, new]} for updates, or free details (e.g. {"role": "judge"}).
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User", lazy="raise")

