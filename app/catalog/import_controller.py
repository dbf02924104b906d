"""The CSV upload page: GET shows the form, the columns and the sample files; POST checks and imports.

The result (counts and notices, or the table of errors) is the `import_result` block, so an htmx upload
swaps only that; a plain form post gets the whole page. Nothing is written when any row is bad: the
importer checks every row first (see app.catalog.importer).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_catalog_manager
from app.accounts.rules import CurrentUser, can_create_producer
from app.accounts.services import OrganizationService
from app.catalog.importer import COLUMNS, ImportKind, ImportReport, run_import, sample_path
from app.errors import DomainError
from app.i18n import gettext as _
from app.web import app_settings, page

TEMPLATE = "catalog/import.html.jinja"
BLOCKS = ("import_result",)
BOM = b"\xef\xbb\xbf"


def _kinds(user: CurrentUser) -> list[ImportKind]:
    """What this user may import: products always (a catalog manager), producers for admins and organizers."""
    kinds = [ImportKind.PRODUCTS]
    if can_create_producer(user):
        kinds.insert(0, ImportKind.PRODUCERS)
    return kinds


def _optional_int(value: Any) -> int | None:
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isdigit() else None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


class ImportController(Controller):
    path = "/manage/import"
    guards = [requires_catalog_manager]
    include_in_schema = False

    async def _render(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        *,
        kind: str = "",
        organization_id: int | None = None,
        report: ImportReport | None = None,
        message: str | None = None,
        errors: dict[str, str] | None = None,
        filename: str = "",
        status: int = 200,
    ) -> Template:
        user = request.user
        kinds = _kinds(user)
        organizations: list[tuple[int, str]] = []
        if user.is_admin or len(user.organizer_of) > 1:
            organizations = [
                (o.id, o.name)
                for o in await OrganizationService(tx).list()
                if user.is_admin or o.id in user.organizer_of
            ]
        if kind not in {k.value for k in kinds}:
            kind = kinds[0].value
        max_bytes = app_settings(request).max_import_bytes
        return page(
            request,
            TEMPLATE,
            {
                "kinds": kinds,
                "kind": kind,
                "columns": COLUMNS,
                "organizations": organizations,
                "organization_id": organization_id,
                "report": report,
                "message": message,
                "errors": errors or {},
                "filename": filename,
                "max_bytes": max_bytes,
                "max_megabytes": _megabytes(max_bytes),
            },
            blocks=BLOCKS,
            status=status,
        )

    @get("/", name="catalog:import")
    async def show(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, kind: str = ""
    ) -> Template:
        return await self._render(request, tx, kind=kind)

    @post("/", name="catalog:import_submit")
    async def submit(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        kind_text = data.get("kind")
        organization_id = _optional_int(data.get("organization_id"))
        try:
            kind = ImportKind(kind_text.strip() if isinstance(kind_text, str) else "")
        except ValueError:
            message = _("Choose what the file holds: producers or products.")
            return await self._render(request, tx, message=message, errors={"kind": message}, status=422)

        upload = data.get("file")
        filename = upload.filename if isinstance(upload, UploadFile) else ""
        limit = app_settings(request).max_import_bytes
        content = await upload.read(limit + 1) if isinstance(upload, UploadFile) else b""
        if isinstance(upload, UploadFile):
            await upload.close()
        common: dict[str, Any] = {
            "kind": kind.value,
            "organization_id": organization_id,
            "filename": filename,
        }
        if not filename and not content:
            message = _("Choose a CSV file to upload.")
            return await self._render(
                request, tx, message=message, errors={"file": message}, status=422, **common
            )
        if len(content) > limit:
            message = _(
                "The file is larger than %(limit)s MB. Split it into several files and import them "
                "one by one.",
                limit=_megabytes(limit),
            )
            return await self._render(
                request, tx, message=message, errors={"file": message}, status=413, **common
            )

        try:
            report = await run_import(tx, request.user, kind, content, organization_id=organization_id)
        except DomainError as err:
            message = err.message
            return await self._render(
                request, tx, message=message, errors=err.fields, status=err.status_code, **common
            )
        return await self._render(request, tx, report=report, status=200 if report.ok else 422, **common)

    @get("/sample/{filename:str}", name="catalog:import_sample")
    async def sample(self, filename: str) -> Response[bytes]:
        """A sample file, with a BOM so that Excel reads it as UTF-8 and shows Vietnamese correctly."""
        kinds = {f"{k.value}.csv": k for k in ImportKind}
        kind = kinds.get(filename)
        if kind is None:
            raise NotFoundException()
        content = sample_path(kind).read_bytes()
        if not content.startswith(BOM):
            content = BOM + content
        return Response(
            content=content,
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
