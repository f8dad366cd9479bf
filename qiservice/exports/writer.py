"""Writing an export to an .xlsx file with openpyxl's write-only workbook.

Rows are read with `values_list()` + `iterator(chunk_size=…)` and streamed to the sheet,
so memory stays flat however many rows there are. Text that Excel could take for a
formula (= + - @, tab, CR at the start) is stored as a plain string with the quote
prefix, so Excel never evaluates it, not even after the cell is edited.
"""

from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .columns import DATE, DATETIME, DECIMAL, DEFAULT_WIDTHS, FORMULA_START, ILLEGAL, NUMBER_FORMATS, cell_value, mask

CHUNK_SIZE = 2000
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def write_export(export, queryset, target, *, masked=False, header_block=None, progress=None):
    """Write the rows of `queryset` through the export's columns to `target` (a path or
    a binary file object); returns the number of rows written. `progress(n)` is called
    after every chunk."""
    with translation.override(translation.get_language() or "zh-hans"):
        columns = export.bound_columns()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=str(export.title)[:31])
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width or DEFAULT_WIDTHS[column.type]

        # Appendix B layout: a title, the header block, an empty row, then the table.
        header_row = (len(header_block) + 3) if header_block else 1
        last = get_column_letter(len(columns))
        # The frozen header row must be set before the first row is written.
        ws.freeze_panes = f"A{header_row + 1}"
        if header_block:
            ws.append([_title_cell(ws, str(export.title))])
            for label, value, *sensitive in header_block:
                shown = mask(value) if masked and sensitive and value else value
                ws.append([_header_cell(ws, str(label)), _text_cell(ws, shown)])
            ws.append([])
        ws.append([_header_cell(ws, str(c.header)) for c in columns])

        plain = [c for c in columns if not c.batch]
        batched = [c for c in columns if c.batch]
        # The primary key (so distinct rows stay distinct) and the batch columns' key paths.
        keys = list(dict.fromkeys(["pk", *(c.key for c in batched)]))
        paths = [*keys, *(c.accessor for c in plain)]
        rows = queryset.values_list(*paths).iterator(chunk_size=CHUNK_SIZE)
        makers = [_maker(ws, c, masked) for c in columns]
        done = 0
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK_SIZE:
                done += _write_chunk(ws, chunk, columns, batched, keys, makers)
                chunk = []
                if progress:
                    progress(done)
        if chunk:
            done += _write_chunk(ws, chunk, columns, batched, keys, makers)
        if progress:
            progress(done)
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(done, 1)}"
        wb.save(target)
    return done


def _write_chunk(ws, chunk, columns, batched, keys, makers):
    """Fetch the chunk's multi-valued cells (one query per batch column), then write it."""
    position = {key: i for i, key in enumerate(keys)}
    fetched = {id(c): c.accessor({row[position[c.key]] for row in chunk}) for c in batched}
    plan = [
        (make, fetched[id(c)] if c.batch else None, position.get(c.key))
        for c, make in zip(columns, makers, strict=True)
    ]
    skip = len(keys)
    append = ws.append
    for row in chunk:
        values = iter(row[skip:])
        append([make(extra.get(row[at]) if extra is not None else next(values)) for make, extra, at in plan])
    return len(chunk)


def _maker(ws, column, masked):
    """A function raw value -> what `ws.append` gets for one cell of this column."""
    number_format = NUMBER_FORMATS.get(column.type)
    sensitive = masked and column.sensitive

    def make(raw):
        value = cell_value(column, raw)
        if value is None:
            return None
        if sensitive:
            value = mask(value)
        if isinstance(value, str):
            return _text_cell(ws, value)
        if number_format and column.type in (DATE, DATETIME, DECIMAL):
            cell = WriteOnlyCell(ws, value)
            cell.number_format = number_format
            return cell
        return value

    return make


def _text_cell(ws, value):
    if value is None:
        return None
    value = ILLEGAL.sub("", str(value))
    if not value.startswith(FORMULA_START):
        return value
    cell = WriteOnlyCell(ws, value)
    cell.data_type = "s"  # never a formula, whatever openpyxl guessed
    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


def _header_cell(ws, text):
    cell = WriteOnlyCell(ws, text)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    return cell


def _title_cell(ws, text):
    cell = WriteOnlyCell(ws, text)
    cell.font = Font(bold=True, size=14)
    return cell
