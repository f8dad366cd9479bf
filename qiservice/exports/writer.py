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

from qiservice.core.masking import annotate_contact, can_see_contact, mask_contact

from .columns import DATE, DATETIME, DECIMAL, DEFAULT_WIDTHS, FORMULA_START, ILLEGAL, NUMBER_FORMATS, cell_value

CHUNK_SIZE = 2000
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _subject(column):
    """The path to the object whose contact rule a sensitive column follows ("" = the row)."""
    return "" if column.sensitive is True else column.sensitive


def write_export(export, queryset, target, *, viewer=None, header_block=None, progress=None):
    """Write the rows of `queryset` through the export's columns to `target` (a path or
    a binary file object); returns the number of rows written. `progress(n)` is called
    after every chunk.

    Phone numbers and e-mail addresses (`sensitive` columns, and header lines naming their
    object) are masked per row where `viewer` may not read them in full
    (qiservice/core/masking.py); the rule is read in the same query as the row. Without a
    viewer (the benchmark) nothing is masked."""
    with translation.override(translation.get_language() or "zh-hans"):
        columns = export.bound_columns()
        subjects = list(dict.fromkeys(_subject(c) for c in columns if c.sensitive)) if viewer is not None else []
        flags = [f"_contact_full_{i}" for i in range(len(subjects))]
        for subject, flag in zip(subjects, flags, strict=True):
            queryset = annotate_contact(queryset, viewer, prefix=subject, name=flag)
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
            for label, value, *subject in header_block:
                # A line naming its object (label, value, obj) is a contact of that object.
                if subject and viewer is not None and value and not can_see_contact(viewer, subject[0]):
                    value = mask_contact(value)
                ws.append([_header_cell(ws, str(label)), _text_cell(ws, value)])
            ws.append([])
        ws.append([_header_cell(ws, str(c.header)) for c in columns])

        plain = [c for c in columns if not c.batch]
        batched = [c for c in columns if c.batch]
        # The primary key (so distinct rows stay distinct) and the batch columns' key paths.
        keys = list(dict.fromkeys(["pk", *(c.key for c in batched)]))
        paths = [*keys, *flags, *(c.accessor for c in plain)]
        rows = queryset.values_list(*paths).iterator(chunk_size=CHUNK_SIZE)
        # Each sensitive column reads the flag of its subject (its index in the row).
        flag_at = {s: len(keys) + i for i, s in enumerate(subjects)}
        makers = [(_maker(ws, c), flag_at.get(_subject(c)) if c.sensitive else None) for c in columns]
        done = 0
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK_SIZE:
                done += _write_chunk(ws, chunk, columns, batched, keys, makers, len(flags))
                chunk = []
                if progress:
                    progress(done)
        if chunk:
            done += _write_chunk(ws, chunk, columns, batched, keys, makers, len(flags))
        if progress:
            progress(done)
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(done, 1)}"
        wb.save(target)
    return done


def _write_chunk(ws, chunk, columns, batched, keys, makers, n_flags):
    """Fetch the chunk's multi-valued cells (one query per batch column), then write it."""
    position = {key: i for i, key in enumerate(keys)}
    fetched = {id(c): c.accessor({row[position[c.key]] for row in chunk}) for c in batched}
    plan = [
        (make, fetched[id(c)] if c.batch else None, position.get(c.key), flag)
        for c, (make, flag) in zip(columns, makers, strict=True)
    ]
    skip = len(keys) + n_flags
    append = ws.append
    for row in chunk:
        values = iter(row[skip:])
        append(
            [
                make(extra.get(row[at]) if extra is not None else next(values), flag is None or row[flag])
                for make, extra, at, flag in plan
            ]
        )
    return len(chunk)


def _maker(ws, column):
    """A function (raw value, shown in full) -> what `ws.append` gets for one cell."""
    number_format = NUMBER_FORMATS.get(column.type)

    def make(raw, full=True):
        if not full and column.mask is not None:
            raw = column.mask(raw)
        value = cell_value(column, raw)
        if value is None:
            return None
        if not full and column.mask is None:
            value = mask_contact(value)
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
