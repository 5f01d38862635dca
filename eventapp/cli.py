"""``flask`` commands: accounts, reference data and the demo event."""
import os

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .errors import DomainError
from .extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(places)
    app.cli.add_command(demo)


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
    from .auth import services
    from .text import normalize_mobile

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if mobile and not normalize_mobile(mobile):
        raise click.BadParameter("an Iranian mobile number has 11 digits and starts with 09", param_hint="--mobile")
    try:
        user = services.create_user(email, name, role, password, normalize_mobile(mobile) if mobile else "")
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
    from .events.places import sync_places

    added = sync_places()
    db.session.commit()
    click.echo(f"Provinces added: {added[0]}, counties added: {added[1]}.")


@click.command()
@with_appcontext
def demo():
    """Load the demo 'Dawn of Progress' event and its accounts (running it again adds nothing)."""
    from .demo import DEMO_PASSWORD, load_demo

    accounts = load_demo()
    db.session.commit()
    base = current_app.config["BASE_URL"] or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    click.echo(f"Demo data is ready. Sign in at {base}/signin with password '{DEMO_PASSWORD}':")
    for role, email in accounts.items():
        click.echo(f"  {role:<12} {email}")
