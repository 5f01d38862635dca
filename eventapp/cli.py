"""``flask`` commands: accounts, reference data and the demo event."""
import os
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .auth import services as accounts
from .auth.models import RoleGrant, User
from .certificates import services as certificate_services
from .certificates.enums import JobStatus
from .core import jobs
from .core.database import utcnow
from .core.errors import DomainError
from .core.exports import csv_bytes
from .core.extensions import db
from .core.text import normalize_mobile
from .demo.loader import DEMO_PASSWORD, load_demo
from .events.places import sync_places
from .events.services import get_event
from .judging import exports as judging_exports
from .judging import services as judging
from .judging.models import Round
from .notifications import scheduling


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(places)
    app.cli.add_command(demo)
    app.cli.add_command(results)
    app.cli.add_command(certificates)
    app.cli.add_command(jobs_group)
    app.cli.add_command(pipeline)
    app.cli.add_command(notifications)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["admin", "organiser", "judge", "member"]), default="member",
              show_default=True)
@click.option("--mobile", default="", help="Iranian mobile number, 09xxxxxxxxx.")
@click.option("--password", help="Asked for (hidden, twice) when not given.")
@with_appcontext
def create_user(email, name, role, mobile, password):
    """Create an account; the first admin is made this way."""

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if mobile and not normalize_mobile(mobile):
        raise click.BadParameter("an Iranian mobile number has 11 digits and starts with 09", param_hint="--mobile")
    try:
        user = accounts.create_user(email, name, role, password, normalize_mobile(mobile) if mobile else "", utcnow())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} ({role}).")


@click.group(cls=AppGroup)
def places():
    """Iran's provinces and counties."""


@places.command("sync")
def places_sync():
    """Add missing provinces and counties from the shipped data and correct their names."""

    added = sync_places()
    db.session.commit()
    click.echo(f"Provinces added: {added[0]}, counties added: {added[1]}.")


@click.command()
@with_appcontext
def demo():
    """Load the demo 'Dawn of Progress' event and its accounts (running it again adds nothing)."""

    accounts = load_demo()
    db.session.commit()
    from pathlib import Path

    key_file = Path(current_app.config["CERTIFICATE_SIGNING_KEY_FILE"])
    credential_file = Path(current_app.config["CREDENTIAL_KEY_FILE"])
    if not key_file.exists() and not credential_file.exists():  # the demo's documents are signed too
        certificate_services.write_keys(key_file, credential_file, "Dawn of Progress (demo)",
                                        current_app.config["CERTIFICATE_SIGNING_KEY_PASSWORD"], utcnow())
        click.echo(f"Made demo signing keys ({key_file}, {credential_file}): self-signed, for trying the site only.")
    base = current_app.config["BASE_URL"] or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    click.echo(f"Demo data is ready. Sign in at {base}/signin with password '{DEMO_PASSWORD}':")
    for role, email in accounts.items():
        click.echo(f"  {role:<12} {email}")


@click.group(cls=AppGroup)
def results():
    """Judging results."""


@results.command("export")
@click.argument("event_slug")
@click.argument("round_kind", type=click.Choice(["screening", "final"]))
@click.option("--what", type=click.Choice(["leaderboard", "results", "scores", "rubric", "about"]),
              default="leaderboard", show_default=True,
              help="leaderboard: live only; results: of the publication only (--published).")
@click.option("--published", is_flag=True,
              help="Export the round's current publication (its frozen snapshot, what the public saw), not the live "
                   "scores.")
@click.option("--format", "kind", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="The file to write; standard output when not given.")
def results_export(event_slug, round_kind, what, kind, output, published):
    """Export a round's raw scores, leaderboard, rubric or method, live or as published, with the same columns
    as the organisers' pages (XLSX: every sheet, WHAT first)."""
    from sqlalchemy import select


    try:
        event = get_event(event_slug)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    round_ = db.session.scalar(select(Round).where(Round.event_id == event.id, Round.kind == round_kind))
    if round_ is None:
        raise click.ClickException(f"{event_slug} has no {round_kind} round.")
    if published:
        publication = judging.current_publication(round_)
        if publication is None:
            raise click.ClickException(f"The {round_kind} round of {event_slug} has no published results.")
        sheets = judging_exports.publication_sheets(publication)
    else:
        sheets = judging_exports.round_sheets(round_, judging.compute_leaderboard(round_), utcnow())
    if what not in sheets:
        raise click.UsageError(f"--what {what} is for {'live' if published else 'published'} results only.")
    headers, rows = sheets[what]
    content = csv_bytes(headers, rows) if kind == "csv" else judging_exports.workbook(sheets, what)
    if output:
        with open(output, "wb") as handle:
            handle.write(content)
        click.echo(f"Wrote {len(rows)} rows to {output}.", err=True)
    elif kind == "xlsx" and sys.stdout.isatty():
        raise click.UsageError("XLSX is binary: give --output FILE or redirect standard output.")
    else:
        click.echo(content, nl=False)  # bytes go to standard output unchanged


@click.group(cls=AppGroup)
def certificates():
    """Certificates and report cards, in bulk."""


KIND_CHOICE = click.Choice(["group", "report", "judge", "training"])


def _event_and_actor(event_slug: str, email: str | None):
    from sqlalchemy import select


    try:
        event = get_event(event_slug)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    query = select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(RoleGrant.role.in_(("admin", "organiser")))
    actor = db.session.scalar(query.where(User.email == email.lower()) if email else query.order_by(User.id))
    if actor is None:
        raise click.ClickException(f"{email or 'No account'} is not an organiser: give --as ORGANISER_EMAIL.")
    return event, actor


@certificates.command("keygen")
@click.option("--organisation", default="Dawn of Progress", show_default=True, help="The name the certificate states.")
@click.option("--force", is_flag=True, help="Replace existing key files (key rotation: what the old keys signed "
                                            "keeps verifying, their public keys stay published).")
def certificates_keygen(organisation, force):
    """Make the signing key of the documents (PKCS#12, self-signed) and the Ed25519 key of the credentials."""
    from pathlib import Path

    key_file = Path(current_app.config["CERTIFICATE_SIGNING_KEY_FILE"])
    credential_file = Path(current_app.config["CREDENTIAL_KEY_FILE"])
    existing = [str(path) for path in (key_file, credential_file) if path.exists()]
    if existing and not force:
        raise click.ClickException(f"{', '.join(existing)} already exist: give --force to replace them.")
    certificate_services.write_keys(key_file, credential_file, organisation,
                                    current_app.config["CERTIFICATE_SIGNING_KEY_PASSWORD"], utcnow())
    click.echo(f"Wrote {key_file} (a self-signed certificate for {organisation!r}, three years) and {credential_file}.")
    click.echo("A self-signed certificate proves only that documents come from this installation: a real deployment "
               "should sign with a certificate issued by its own certification authority (set "
               "CERTIFICATE_SIGNING_KEY_FILE and CERTIFICATE_SIGNING_KEY_PASSWORD).")


@certificates.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def certificates_verify(file):
    """Check a PDF as the verification page does: its signature, its key, whether it was revoked."""
    from pathlib import Path

    try:
        checked = certificate_services.check_file(Path(file).read_bytes())
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    signature = checked.signature
    click.echo(f"signature: {signature.status}" + (f" by {signature.signer}" if signature.signer else ""))
    if checked.certificate is not None:
        certificate = checked.certificate
        click.echo(f"document: {certificate.serial} · {certificate.holder}"
                   + (f" · REVOKED {certificate.revoked_at:%Y-%m-%d}: {certificate.revoked_reason}"
                      if certificate.revoked_at else " · valid"))
    click.echo(checked.verdict.label)
    click.echo("genuine" if checked.genuine else "NOT genuine")
    raise SystemExit(0 if checked.genuine else 1)


@certificates.command("issue")
@click.argument("event_slug")
@click.option("--kind", type=KIND_CHOICE, required=True)
@click.option("--as", "email", help="The organiser who issues them (for the audit log); the first admin if not given.")
@click.option("--base-url", help="The site's public address, printed in the QR codes (default: BASE_URL).")
def certificates_issue(event_slug, kind, email, base_url):
    """Issue every missing document of a kind, as the web page's bulk issue does (resuming an unfinished one)."""

    base_url = base_url or current_app.config["BASE_URL"]
    if not base_url.startswith(("http://", "https://")):
        raise click.UsageError("Give --base-url https://your.site (or set BASE_URL): the QR codes open that address.")
    event, actor = _event_and_actor(event_slug, email)
    try:
        job = certificate_services.start_job(actor, event, kind, utcnow(), base_url).job
        if job.status == JobStatus.RUNNING:  # interrupted: take it over (refused while its worker is alive)
            certificate_services.resume_job(actor, job, utcnow())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    bar = None

    def show(progress_job):
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=progress_job.total, label=f"{kind} documents", show_pos=True,
                                    show_eta=True, file=sys.stderr)
            bar.__enter__()
        bar.update(progress_job.done + progress_job.failed - bar.pos)

    certificate_services.run_job(job.id, on_progress=show)
    if bar is not None:
        bar.__exit__(None, None, None)
    db.session.refresh(job)
    for failure in job.failures:
        click.echo(f"failed: {failure['holder']} ({failure['subject']}): {failure['error']}", err=True)
    click.echo(f"Job {job.id}: {job.status}; {job.done} of {job.total} issued "
               f"({job.skipped} were issued before), {job.failed} failed.")
    if job.message:
        raise click.ClickException(job.message)
    if job.failed:
        sys.exit(1)


@certificates.command("export")
@click.argument("event_slug")
@click.option("--kind", type=KIND_CHOICE, required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True, help="The ZIP file to write.")
@click.option("--as", "email", help="The organiser who exports them; the first admin if not given.")
def certificates_export(event_slug, kind, output, email):
    """Write every valid document of a kind into one ZIP file."""

    event, actor = _event_and_actor(event_slug, email)
    count = certificate_services.write_zip(actor, event, kind, output)
    click.echo(f"Wrote {count} documents to {output}.")


@click.group("jobs", cls=AppGroup)
def jobs_group():
    """Background jobs."""


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def jobs_worker(burst):
    """Serve the Redis job queue (REDIS_URL must be set); start as many as you have cores."""

    try:
        jobs.work(burst=burst)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error


@click.group(cls=AppGroup)
def pipeline():
    """The collaboration pipeline."""


@pipeline.command("digest")
def pipeline_digest():
    """Tell each project owner their overdue, silent and due-this-week projects (once a week; the
    notifications' tick does it too)."""

    sent = scheduling.send_weekly_digests(utcnow())
    click.echo(f"Digests sent: {sent}.")


@click.group(cls=AppGroup)
def notifications():
    """Notifications: reminders, scheduled announcements and retries."""


@notifications.command("send-due")
def notifications_send_due():
    """Store and send what has come due (for cron, where neither a worker nor the web process's ticker runs)."""

    counts = scheduling.tick(utcnow())
    click.echo(f"Queued: {sum(number for key, number in counts.items() if key != 'retried')} new, "
               f"{counts.get('retried', 0)} retried.")
