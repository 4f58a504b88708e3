"""An index table as files: CSV (UTF-8 with a byte-order mark, so that Excel reads "Taïwan"),
XLSX (openpyxl), and the CSVW metadata that describes the CSV (W3C CSV on the Web).

Every file holds the whole table a request selects, not the page shown. A column whose cells
name entities comes with a ``<name>_iri`` column holding their IRIs; the first column is the
IRI of the row's entity. Values are the machine values (``94.4``, ``2025-12-12``), the names
are in the request's language.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from paxsilica import bundle, iris
from paxsilica.publish.tables import EMPTY, Cell, Row, Spec

BOM = "\ufeff"
CSVW_CONTEXT = "http://www.w3.org/ns/csvw"
# The CSVW datatype of an IRI column.
ANY_URI = "anyURI"


@dataclass(frozen=True)
class FileColumn:
    """A column of the files: its name, its title, its CSVW datatype, and how a cell reads."""

    name: str
    title: str
    datatype: str
    source: str
    iris: bool = False


def file_columns(spec: Spec, titles: Mapping[str, str]) -> list[FileColumn]:
    """The files' columns: the row's IRI, then each column (and its IRIs when it links)."""
    found = [FileColumn("iri", titles.get("iri", "IRI"), ANY_URI, "", iris=True)]
    for column in spec.columns:
        title = titles.get("col_" + column.key, column.key)
        found.append(FileColumn(column.key, title, column.datatype, column.key))
        if column.links and column.key != "name":
            iri_title = f"{title} ({titles.get('iri', 'IRI')})"
            found.append(FileColumn(column.key + "_iri", iri_title, ANY_URI, column.key, True))
    return found


def _machine(cell: Cell, datatype: str) -> Any:
    if cell.value is None:
        return None
    if datatype in ("number", "integer") or isinstance(cell.value, datetime.date):
        return cell.value
    if len(cell.links) > 1:
        return cell.text
    return cell.value


def values(row: Row, columns: Sequence[FileColumn]) -> list[Any]:
    """A row's values in the files' columns (None for an empty cell)."""
    found: list[Any] = []
    for column in columns:
        if column.name == "iri":
            found.append(row.iri)
            continue
        cell = row.cells.get(column.source, EMPTY)
        if column.iris:
            found.append(" ".join(k.iri for k in cell.links) or None)
        else:
            found.append(_machine(cell, column.datatype))
    return found


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        # As CSVW reads a boolean by default.
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def csv_bytes(spec: Spec, rows: Sequence[Row], titles: Mapping[str, str]) -> bytes:
    """The table as CSV: a header of titles, then one line per row; UTF-8 with a BOM."""
    columns = file_columns(spec, titles)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in columns])
    for row in rows:
        writer.writerow([_text(v) for v in values(row, columns)])
    return out.getvalue().encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    # Excel keeps numbers as doubles; a share like 94.4 stays 94.4.
    return float(value) if isinstance(value, Decimal) else value


def xlsx_bytes(
    spec: Spec, rows: Sequence[Row], titles: Mapping[str, str], notes: Sequence[str] = ()
) -> bytes:
    """The table as an XLSX workbook: the rows on the first sheet, where they come from and
    under which licence on the second."""
    columns = file_columns(spec, titles)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(spec.key[:31])
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, column.title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_value(v) for v in values(row, columns)])
    about = book.create_sheet("about")
    for note in notes:
        about.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def licence_of(rows: Sequence[Row]) -> str:
    """The licence of a table's rows: CC BY-NC 4.0 when any shows data licensed apart."""
    return bundle.CC_BY_NC if any(r.apart for r in rows) else iris.LICENSE_IRI


def csvw_metadata(
    spec: Spec,
    rows: Sequence[Row],
    csv_url: str,
    titles: Mapping[str, str],
    lang: str,
    notice: str | None = None,
) -> dict:
    """The CSVW metadata of the table's CSV: its address, licence, and every column."""
    columns = [
        {
            "name": c.name,
            "titles": {lang: c.title},
            "datatype": c.datatype,
            "required": c.name == "iri",
        }
        for c in file_columns(spec, titles)
    ]
    found: dict[str, Any] = {
        "@context": [CSVW_CONTEXT, {"@language": lang}],
        "url": csv_url,
        "dc:title": titles.get("table_" + spec.key.replace("-", "_"), spec.key),
        "dc:license": {"@id": licence_of(rows)},
        "dialect": {"encoding": "utf-8", "header": True, "headerRowCount": 1},
        "tableSchema": {"columns": columns, "primaryKey": "iri", "aboutUrl": "{+iri}"},
    }
    if notice:
        found["rdfs:comment"] = notice
    return found


def csvw_bytes(metadata: dict) -> bytes:
    """The CSVW metadata as JSON."""
    return (json.dumps(metadata, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
