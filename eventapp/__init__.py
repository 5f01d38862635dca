"""Dawn of Progress: the application factory."""
import logging
from pathlib import Path

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .api import admin as api_admin
from .api import views as api_views
from .api.views import http_error_response
from .audit import views as audit_views
from .auth import views as auth_views
from .auth.services import load_session_user
from .certificates import views as certificates_views
from .cli import register_commands
from .core import health, jobs, page_cache
from .core import static as static_files
from .core.errors import DomainError
from .core.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from .core.i18n import (
    countdown,
    current_language,
    format_date,
    format_datetime,
    format_day,
    format_number,
    is_rtl,
    localise_page,
    localize_digits,
    select_locale,
)
from .core.markup import machine_datetime, user_text
from .core.security import add_security_headers
from .core.web import BoundedIntConverter, reject_nul_bytes
from .events import views as events_views
from .judging import receivers as judging_receivers
from .judging import views as judging_views
from .judging.enums import Award, CombiningMethod
from .notifications import receivers as notifications_receivers
from .notifications import services as notifications_services
from .notifications import views as notifications_views
from .notifications.delivery import requeue as requeue_notifications
from .notifications.scheduling import schedule_next_tick, start_ticker
from .pipeline import observatory_views
from .pipeline import receivers as pipeline_receivers
from .pipeline import views as pipeline_views
from .portal import views as portal_views
from .teams import views as teams_views
from .training import views as training_views

# Imported for what they connect to the signals (eventapp/signals.py): judges read their entries' maps,
# published winners become pipeline projects, and people are told what happened.
RECEIVERS = (judging_receivers, pipeline_receivers, notifications_receivers)

PROJECT_ROOT = settings.PROJECT_ROOT


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.update(settings.from_environment(Path(app.instance_path)))
    app.config.update(overrides or {})
    # A server's connections are tried before use (one the server dropped, or lost in a restart, is replaced); a
    # SQLite file has no connection to lose, and its requests save that round trip.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_pre_ping": not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    settings.check(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(level=logging.INFO)

    _bind_extensions(app)
    app.url_map.converters["int"] = BoundedIntConverter  # before the routes that use it are added
    app.before_request(reject_nul_bytes)
    _register_blueprints(app)
    _register_templates(app)
    _register_errors(app)
    app.url_defaults(static_files.add_digest)
    app.after_request(static_files.cache_static)
    app.after_request(localise_page)
    app.after_request(add_security_headers)
    _schedule_notifications(app)

    register_commands(app)
    return app


def _bind_extensions(app: Flask) -> None:
    compress.init_app(app)  # first, so that its after_request runs last: on the finished response
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    page_cache.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.signin"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    login_manager.user_loader(load_session_user)


def _register_blueprints(app: Flask) -> None:
    for blueprint in (health.bp, auth_views.bp, events_views.bp, portal_views.bp, teams_views.bp, training_views.bp,
                      judging_views.bp, certificates_views.bp, pipeline_views.bp, observatory_views.bp,
                      api_views.bp, api_admin.bp, audit_views.bp, notifications_views.bp):
        app.register_blueprint(blueprint)


def _register_templates(app: Flask) -> None:
    app.jinja_env.filters.update(
        datetime=format_datetime, date=format_date, day=format_day, digits=localize_digits, number=format_number,
        countdown=countdown, iso=machine_datetime, user_text=user_text,
    )
    app.jinja_env.globals.update(Award=Award, CombiningMethod=CombiningMethod)

    @app.context_processor
    def language_context():
        return {"lang": current_language(), "rtl": is_rtl(), "current_path": request.full_path.rstrip("?")}

    @app.context_processor
    def inbox_context():
        def unread_notifications() -> int:  # asked by the top bar, once per page
            if "unread_notifications" not in g:
                g.unread_notifications = notifications_services.unread_count(current_user)
            return g.unread_notifications
        return {"unread_notifications": unread_notifications}


def _schedule_notifications(app: Flask) -> None:
    """Who finds what is due (notifications/scheduling.py): RQ's scheduler in every queue worker when Redis is
    the backend (and the workers' sweep queues what waits); otherwise a ticker thread that the web process
    starts with its first request (not in tests: they run the tick themselves)."""
    jobs.register_sweep(requeue_notifications)
    jobs.on_worker_start(schedule_next_tick)
    if app.config["JOBS_BACKEND"] != "thread" or app.testing or not app.config["NOTIFY_TICKER"]:
        return
    started = []

    @app.before_request
    def start_the_ticker():
        if not started:
            started.append(True)
            start_ticker(app)


def _register_errors(app: Flask) -> None:
    messages = {
        400: lambda: _("The request could not be understood."),
        403: lambda: _("You are not allowed to see this page."),
        404: lambda: _("We could not find this page."),
        405: lambda: _("This page cannot be used this way."),
        429: lambda: _("Too many requests. Wait a little and try again."),
        500: lambda: _("Something went wrong on our side. It has been logged; please try again later."),
    }

    def render_error(status: int, message: str | None = None):
        text = message or (messages[status]() if status in messages else _("The request could not be completed."))
        return render_template("errors/error.html", status=status, message=text), status

    @app.errorhandler(DomainError)
    def domain_error(error):
        return render_error(error.status_code, str(error))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("The form expired or did not come from this site. Reload the page and try again."))

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error):
        return render_error(429)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/api/"):  # unknown addresses and methods of the API answer in JSON
            return http_error_response(error)
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        return render_error(500)
