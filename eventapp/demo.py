"""The demo 'Dawn of Progress' series, loaded by ``flask demo``. Idempotent: found, not re-added."""
from datetime import timedelta

from sqlalchemy import select

from .auth import services as accounts
from .auth.models import RoleGrant
from .database import utcnow
from .events import services as events
from .events.models import Event, Province
from .extensions import db

DEMO_PASSWORD = "demo-password"
DEMO_ACCOUNTS = {
    "admin": ("admin@demo.example.org", "مدیر سامانه", "09120000001"),
    "organiser": ("organiser@demo.example.org", "زهرا احمدی", "09120000002"),
    "judge": ("judge@demo.example.org", "علی رضایی", "09120000003"),
    "team leader": ("leader@demo.example.org", "مریم حسینی", "09120000004"),
}
ROLE_OF = {"admin": "admin", "organiser": "organiser", "judge": "judge", "team leader": None}


def _account(kind: str):
    email, name, mobile = DEMO_ACCOUNTS[kind]
    user = accounts.find_by_email(email)
    if user is None:
        user = accounts.register(name, email, mobile, DEMO_PASSWORD, locale="fa")
        if ROLE_OF[kind]:
            user.role_grants.append(RoleGrant(role=ROLE_OF[kind]))
    return user


def _schedule(start, days: dict[str, tuple[int, int]]):
    return {kind: (start + timedelta(days=first), start + timedelta(days=last)) for kind, (first, last) in days.items()}


def _event(organiser, slug: str, **details) -> Event:
    existing = db.session.scalar(select(Event).where(Event.slug == slug))
    return existing or events.create_event(organiser, events.EventDetails(slug=slug, **details))


def load_demo() -> dict[str, str]:
    users = {kind: _account(kind) for kind in DEMO_ACCOUNTS}
    db.session.flush()
    organiser = users["organiser"]
    today = utcnow().replace(hour=4, minute=30, second=0, microsecond=0)  # 08:00 in Tehran
    _event(
        organiser, "dawn-of-progress-1405",
        title_fa="رویداد ملی طلوع پیشرفت ۱۴۰۵",
        title_en="Dawn of Progress national event 1405",
        description_fa=(
            "گروه‌های جهادی، تشکل‌های دانشجویی و مؤسسات مردم‌پایه برای نقاط جغرافیایی هدف خود "
            "نقشه پیشرفت جامع طراحی می‌کنند؛ با ظرفیت‌های خود منطقه و با نقش‌آفرینی مردم.\n"
            "برگزیدگان برای اجرای نقشه‌های خود با ستاد پیشرفت جامع منطقه‌ای همکاری می‌کنند."
        ),
        description_en=(
            "Jihadi groups, student associations and people-based institutes design the comprehensive "
            "progress map of the places they care about, using the region's own capacities and with the "
            "people in the lead.\nThe winners work with the headquarters to carry their maps out."
        ),
        windows=_schedule(today, {
            "registration": (-10, 20), "screening": (21, 30), "training": (31, 45),
            "submission": (46, 75), "judging": (76, 90), "results": (91, 100),
        }),
    )
    razavi = db.session.scalar(select(Province).where(Province.name_en == "Razavi Khorasan"))
    _event(
        organiser, "dawn-of-progress-sarakhs-1404",
        title_fa="طلوع پیشرفت سرخس ۱۴۰۴",
        title_en="Dawn of Progress Sarakhs 1404",
        scope="provincial", province_id=razavi.id,
        description_fa="نخستین دوره استانی برای رصد و پایش برنامه‌های پیشرفت سرخس.",
        description_en="The first provincial edition, for monitoring and tracking Sarakhs' progress programmes.",
        windows=_schedule(today - timedelta(days=200), {
            "registration": (0, 20), "submission": (30, 60), "judging": (61, 75), "results": (76, 90),
        }),
    )
    return {kind: DEMO_ACCOUNTS[kind][0] for kind in DEMO_ACCOUNTS}
