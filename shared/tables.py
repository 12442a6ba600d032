"""Tables people download: one heading row and rows of values, as CSV or as an Excel workbook (.xlsx), and the HTTP
answer that hands either over as a file.

- CSV is UTF-8 with a byte-order mark, which is how Excel knows to read Chinese correctly, and ``\\r\\n`` line ends.
- The workbook is written with ``openpyxl``: one sheet, the heading row frozen, numbers as numbers.
- A text a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, or a tab or carriage return)
  stays text: in CSV it is preceded by an apostrophe, in the workbook its cell is typed as a string. A title filed by
  anyone can thus never become a formula on a supervisor's computer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Literal
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

Value = str | int | float | None
Format = Literal["csv", "xlsx"]

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_bytes(headings: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings)
    for row in rows:
        writer.writerow(["" if v is None else ("'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
                         for v in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def xlsx_bytes(title: str, headings: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    sheet.append(list(headings))
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(fmt: Format, filename: str, title: str, headings: Sequence[str],
             rows: Iterable[Sequence[Value]]) -> Response:
    """The table as a file to save: ``filename`` without its extension (its non-ASCII characters are sent as RFC 5987
    ``filename*``, with an ASCII fallback)."""
    content = csv_bytes(headings, rows) if fmt == "csv" else xlsx_bytes(title, headings, rows)
    fallback = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in filename)
    disposition = f"attachment; filename=\"{fallback}.{fmt}\"; filename*=UTF-8''{quote(filename)}.{fmt}"
    return Response(content, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
