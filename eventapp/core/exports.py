"""Tables as CSV or XLSX downloads, with the same columns in both."""
import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell that starts with one of these is a formula to a spreadsheet program (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read Persian correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else _safe(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: dict[str, tuple[Sequence[str], Iterable[Sequence]]], right_to_left: bool = True) -> bytes:
    """One worksheet per entry of ``sheets``: {title: (headers, rows)}."""
    from openpyxl import Workbook  # where it is used: the app starts without openpyxl
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for title, (headers, rows) in sheets.items():
        sheet = workbook.create_sheet(title=title[:31])
        sheet.sheet_view.rightToLeft = right_to_left
        for index, header in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(str(header)) + 6))
        sheet.append(list(headers))
        for row in rows:
            sheet.append([_safe(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(content: bytes, filename: str, mimetype: str | None = None) -> Response:
    kind = mimetype or (XLSX_TYPE if filename.endswith(".xlsx") else "text/csv; charset=utf-8")
    return Response(content, mimetype=kind, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })
