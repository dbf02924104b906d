"""The `chophien` command: migrate, serve, seed-demo, user, token, import, backup."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.settings import get_settings

T = TypeVar("T")


def migrate_database() -> None:
    """Bring the schema to the newest Alembic revision (synchronous: Alembic runs its own event loop)."""
    from advanced_alchemy.alembic.commands import AlembicCommands

    from app.db import make_sqlalchemy_config

    AlembicCommands(sqlalchemy_config=make_sqlalchemy_config(get_settings())).upgrade("head")


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction, committed when it returns."""

    import app.models  # noqa: F401  (every table, so foreign keys across domains resolve)

    async def runner() -> T:
        engine = create_async_engine(get_settings().database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """Chợ Phiên: OCOP fairs, stalls and routes."""


@main.command()
def migrate() -> None:
    """Apply every database migration (Alembic)."""
    migrate_database()
    click.echo("database is up to date")


@main.command()
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "8000")), type=int, show_default="8000")
@click.option("--workers", default=1, type=int, show_default=True)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the web app with uvicorn (several workers share the connections evenly, see app.serving)."""
    from app.serving import serve as serve_app

    serve_app(
        "app.asgi:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
    )


@main.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even when the database already has users.")
def seed_demo(force: bool) -> None:
    """Load demo producers, products, combos and logins (only into an empty database)."""
    from app.demo import DEMO_LOGINS, database_is_empty, seed

    migrate_database()

    async def work(session: AsyncSession) -> bool:
        if not force and not await database_is_empty(session):
            return False
        await seed(session)
        return True

    if not run_in_session(work):
        click.echo("the database already has data: demo data not loaded (use --force to add it anyway)")
        return
    click.echo("demo data loaded. Logins:")
    for role, email, password in DEMO_LOGINS:
        click.echo(f"  {role:<10} {email:<28} {password}")


@main.group()
def user() -> None:
    """Manage users."""


@user.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="")
@click.option("--admin", is_flag=True, help="Grant the administrator role.")
@click.option("--locale", type=click.Choice(["vi", "en"]), default=None)
def user_create(email: str, password: str, name: str, admin: bool, locale: str | None) -> None:
    """Create a user (and make it an administrator with --admin)."""
    from app.accounts.models import Role
    from app.accounts.services import UserService
    from app.errors import DomainError

    async def work(session: AsyncSession) -> int:
        service = UserService(session)
        created = await service.create(email, password, name=name, locale=locale)
        if admin:
            await service.grant(None, created.id, Role.ADMIN)
        return created.id

    try:
        user_id = run_in_session(work)
    except DomainError as err:
        details = "; ".join(f"{k}: {v}" for k, v in err.fields.items())
        fail(f"{err.message} {details}".strip())
        return
    click.echo(f"user {email} created (id {user_id}){' as administrator' if admin else ''}")


@user.command("password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_password(email: str, password: str) -> None:
    """Set a user's password (ends its other sessions)."""
    from app.accounts.services import UserService
    from app.errors import DomainError

    async def work(session: AsyncSession) -> None:
        await UserService(session).set_password(email, password)

    try:
        run_in_session(work)
    except DomainError as err:
        fail(err.message)
    click.echo("password changed")


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli")
def token_create(email: str, name: str) -> None:
    """Create an API token for EMAIL and print it (once) on stdout."""
    from app.accounts.services import TokenService, UserService

    async def work(session: AsyncSession) -> str | None:
        found = await UserService(session).by_email(email)
        if found is None:
            return None
        _token, plain = await TokenService(session).create(found.id, name)
        return plain

    plain = run_in_session(work)
    if plain is None:
        fail(f"no user with email {email}")
    click.echo(plain)


@main.group()
def fairs() -> None:
    """Trade fairs: periodic jobs."""


@fairs.command("expire-holds")
def fairs_expire_holds() -> None:
    """Release booth holds past their deadline and offer the freed booths to the waitlist (run it from cron
    or a timer every few minutes; the assignment pages also run it when opened)."""
    from app.fairs.assignments import run_expiry

    report = run_in_session(run_expiry)
    click.echo(
        f"released {len(report.released)} holds, expired {len(report.offers_expired)} offers, "
        f"made {len(report.offers_made)} offers"
    )


@fairs.command("follow-calendar")
def fairs_follow_calendar() -> None:
    """Move fairs with the calendar: a published fair is running from its start, a running one is closed a
    day after its end (run it from cron or a timer; a fair's pages also do it when opened)."""
    from app.fairs.access import follow_calendar

    moves = run_in_session(follow_calendar)
    click.echo(f"fairs moved: {len(moves)}" + "".join(f"\n  fair {i}: {status}" for i, status in moves))


@main.group()
def payments() -> None:
    """Card payments: periodic jobs."""


@payments.command("expire-checkouts")
def payments_expire_checkouts() -> None:
    """Give back the stock held by register card checkouts past their time (a cashier who walked away);
    one whose card payment is already going through is left for its webhook. Run it every few minutes; a
    register opening a new card checkout at the same place does it too."""
    from app.payments.stripe_gateway import gateway
    from app.pos.card import CardCheckoutService

    settings = get_settings()
    closed = run_in_session(lambda session: CardCheckoutService(session, gateway(settings)).expire_lapsed())
    click.echo(f"closed {closed} lapsed card checkouts")


@main.command("send-mail")
@click.option("--limit", default=100, show_default=True, help="At most this many messages in one run.")
def send_mail(limit: int) -> None:
    """Mail the outbox's unsent notifications by SMTP (SMTP_HOST and friends; see the README)."""
    from app.notify.mailer import send_pending

    report = run_in_session(lambda session: send_pending(session, limit))
    click.echo(f"sent {report.sent}, failed {report.failed}")


@main.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path) -> None:
    """Copy the SQLite database to TARGET, consistently, while the app runs (PostgreSQL: use pg_dump)."""
    import sqlite3

    settings = get_settings()
    if not settings.is_sqlite:
        fail("backup copies SQLite databases; for PostgreSQL use pg_dump")
    source_path = settings.database_url.split("///", 1)[1]
    with sqlite3.connect(source_path) as source, sqlite3.connect(target) as dest:
        source.backup(dest)
    click.echo(f"backed up to {target}")


@main.group("import")
def import_group() -> None:
    """Import producers or products from a CSV file (UTF-8 with or without BOM; comma or semicolon)."""


def _run_import(kind_name: str, file: Path, organization_id: int | None, dry_run: bool, lang: str) -> None:
    """Check every row, then import them all; or import nothing, list the errors and exit 1."""
    from typing import Any

    from app.catalog.importer import ImportKind, ImportReport, run_import
    from app.errors import DomainError
    from app.i18n import set_locale

    set_locale(lang)  # asyncio.run copies this context, so messages come in `lang`
    kind = ImportKind(kind_name)
    data = file.read_bytes()
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if not bars:
            label = f"{kind.value}: checking, importing"
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    async def work(session: AsyncSession) -> ImportReport:
        return await run_import(
            session, None, kind, data, organization_id=organization_id, progress=progress, dry_run=dry_run
        )

    try:
        report = run_in_session(work)
    except DomainError as err:
        fail(err.message)
        return
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)
    for notice in report.notices:
        click.echo(notice)
    if report.more_notices:
        click.echo(f"… and {report.more_notices} more notices")
    if not report.ok:
        for error in report.errors:
            click.secho(str(error), fg="red", err=True)
        if report.more_errors:
            click.secho(f"… and {report.more_errors} more errors", fg="red", err=True)
        fail(f"{report.error_count} error(s): nothing imported. Correct the file and run the import again.")
        return
    if dry_run:
        click.echo(f"{report.total_rows} row(s) checked, no errors (dry run: nothing imported)")
        return
    click.echo(f"{report.created} {kind.value} imported ({report.total_rows} rows)")


@import_group.command("producers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organization-id", type=int, default=None, help="The organization new producers belong to.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; import nothing.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", help="Language of the messages.")
def import_producers_command(file: Path, organization_id: int | None, dry_run: bool, lang: str) -> None:
    """Import producers from FILE: name, kind, registration_no, province, ward, address, … (see README)."""
    _run_import("producers", file, organization_id, dry_run, lang)


@import_group.command("products")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; import nothing.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", help="Language of the messages.")
def import_products_command(file: Path, dry_run: bool, lang: str) -> None:
    """Import products from FILE; each row names its producer by registration number or exact name."""
    _run_import("products", file, None, dry_run, lang)


if __name__ == "__main__":
    main()
