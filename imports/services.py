"""Importing and exporting a district's sheets: the one entry point the admin and the
`import_sheet` / `export_sheet` commands share.

A confirmed import is one transaction: every row or none. Sheets that write organization units
hold the tree's advisory lock (organization.services.tree_lock) for the whole import, save the
units with MPTT's updates off and rebuild the tree once (the resources do that in `finish`).
Every confirmed import and every export leaves a row in the audit log with its row counts.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from import_export.results import Result, RowResult

from core.exceptions import ApplicationError
from core.signals import demo_loaded
from grids.datum import Datum
from ops.models import AuditAction
from ops.services import audit_record

from . import sheets
from .resources import RESOURCES, SheetResource

logger = logging.getLogger(__name__)

# The audit log has no action of its own for sheets yet: an import is recorded as an addition
# in the admin, an export as an export of personal data (the sheets that name people) or a
# listing (the others). The detail line says which sheet, which file and how many rows.
IMPORT_ACTION = AuditAction.ADMIN_ADD
EXPORT_ACTION = AuditAction.PERSONAL_DATA_EXPORT
LIST_ACTION = AuditAction.PERSONAL_DATA_LIST


def resource_class(kind: str) -> type[SheetResource]:
    try:
        return RESOURCES[kind]
    except KeyError:
        raise ApplicationError(
            _("Unknown kind of sheet “%(kind)s”: use one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(RESOURCES)}
        ) from None


@dataclass
class ImportCounts:
    rows: int
    new: int
    updated: int
    unchanged: int
    failed: int

    def as_detail(self) -> str:
        return (
            f"rows={self.rows} new={self.new} updated={self.updated} "
            f"unchanged={self.unchanged} failed={self.failed}"
        )


def counts_of(result: Result) -> ImportCounts:
    totals = result.totals
    return ImportCounts(
        rows=result.total_rows,
        new=totals[RowResult.IMPORT_TYPE_NEW],
        updated=totals[RowResult.IMPORT_TYPE_UPDATE],
        unchanged=totals[RowResult.IMPORT_TYPE_SKIP],
        failed=totals[RowResult.IMPORT_TYPE_INVALID] + totals[RowResult.IMPORT_TYPE_ERROR],
    )


def result_ok(result: Result) -> bool:
    return not result.has_errors() and not result.has_validation_errors()


def sheet_import(
    *,
    kind: str,
    dataset,
    user=None,
    datum: str = Datum.WGS84,
    dry_run: bool = True,
    file_name: str = "",
    progress=None,
) -> Result:
    """Import (or, with dry_run, only check) one sheet. The result carries the counts
    (`totals`), `problems` — (line, column, reason) for every failing cell — and `notes`.

    Nothing is written unless every row is good: any failing row rolls the whole import back.
    """
    if datum not in Datum.values:
        raise ApplicationError(
            _("Unknown coordinate system “%(datum)s”: use wgs84, gcj02 or bd09.") % {"datum": datum}
        )
    resource = resource_class(kind)(user=user, datum=datum, progress=progress)
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            file_name=file_name,
            user=user,
        )
    if not hasattr(result, "problems"):  # after_import did not run (refused before any row)
        resource.report(result)
    if not dry_run:
        counts = counts_of(result)
        ok = result_ok(result)
        audit_record(
            action=IMPORT_ACTION,
            actor=user,
            object_type=f"imports.{kind}",
            object_repr=f"{resource.title}: {file_name}"[:200],
            detail=f"import {kind} file={file_name!r} {counts.as_detail()} "
            f"{'imported' if ok else 'refused, nothing written'}",
        )
        if ok and (counts.new or counts.updated):
            # Rows went in without post_save for each: figures derived from them are stale.
            transaction.on_commit(lambda: demo_loaded.send(sender=sheet_import))
    return result


def sheet_import_file(*, kind: str, data: bytes, **kwargs) -> Result:
    """Like sheet_import, from the bytes of an XLSX or CSV file (SheetError if unreadable)."""
    return sheet_import(kind=kind, dataset=sheets.read_sheet(data), **kwargs)


def export_queryset(kind: str, user):
    """What `user` may export of this kind: the same scope as the admin's lists."""
    from organization.selectors import visible_q_for

    model = resource_class(kind)._meta.model
    queryset = model.objects.all()
    if user is not None:
        q = visible_q_for(model, user)
        if q is not None:
            queryset = queryset.filter(q)
    return queryset


def sheet_export(*, kind: str, user=None, queryset=None, fmt: str = "xlsx") -> bytes:
    """The sheet of `kind` (in the import's columns) as XLSX or CSV bytes, audited."""
    resource = resource_class(kind)(user=user)
    if resource.district_only and user is not None and not user.is_superuser:
        resource._load_scope()
        if not resource.covers_district():
            raise ApplicationError(
                _("Only district staff (the whole district's scope) may export the %(title)s.")
                % {"title": resource.title}
            )
    if queryset is None:
        queryset = export_queryset(kind, user)
    dataset = resource.export(queryset=queryset)
    audit_export(kind=kind, user=user, rows=len(dataset), fmt=fmt, resource=resource)
    return sheets.export_bytes(dataset, fmt)


def audit_export(*, kind: str, user, rows: int, fmt: str, resource: SheetResource) -> None:
    audit_record(
        action=EXPORT_ACTION if resource.personal_data else LIST_ACTION,
        actor=user,
        object_type=f"imports.{kind}",
        object_repr=f"{resource.title}: {rows}"[:200],
        detail=f"export {kind} format={fmt} rows={rows}",
    )


def sheet_template(*, kind: str, fmt: str = "xlsx") -> bytes:
    """An empty sheet of `kind` with its column headers and one example row."""
    return sheets.export_bytes(resource_class(kind)().template(), fmt)
