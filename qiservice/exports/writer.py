"""Writing an export to an .xlsx file, streamed row by row (`core.xlsx_stream`).

Rows are read with `values_list()` + `iterator(chunk_size=…)`, so memory stays flat
however many rows there are; each column has an encoder, made once per export, that turns
a raw database value into its cell's XML (a label, a number, a date serial with a date
format, or text). Text that Excel could take for a formula (= + - @, tab, CR at the start)
is a string cell with the quote prefix, so Excel never evaluates it, not even after the
cell is edited.
"""

from datetime import date, datetime
from decimal import Decimal

from django.utils import translation

from qiservice.core import xlsx_stream as xs
from qiservice.core.masking import annotate_contact, can_see_contact, mask_contact

from .columns import BOOL, CHOICE, DATE, DATETIME, DECIMAL, DEFAULT_WIDTHS, INT, excel_datetime

CHUNK_SIZE = 2000
COLUMN_STYLES = {DATE: xs.STYLE_DATE, DATETIME: xs.STYLE_DATETIME, DECIMAL: xs.STYLE_DECIMAL}


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
        # Appendix B layout: a title, the header block, an empty row, then the table.
        header_row = (len(header_block) + 3) if header_block else 1
        last = xs.column_letter(len(columns))
        with xs.XlsxStream(target, compresslevel=3) as book:
            sheet = book.add_sheet(
                str(export.title),
                widths=[c.width or DEFAULT_WIDTHS[c.type] for c in columns],
                freeze=f"A{header_row + 1}",
            )
            if header_block:
                sheet.append([xs.Cell(str(export.title), xs.STYLE_TITLE)])
                for label, value, *subject in header_block:
                    # A line naming its object (label, value, obj) is a contact of that object.
                    if subject and viewer is not None and value and not can_see_contact(viewer, subject[0]):
                        value = mask_contact(value)
                    sheet.append([xs.Cell(str(label), xs.STYLE_HEADER), None if value is None else str(value)])
                sheet.append([])
            sheet.append([xs.Cell(str(c.header), xs.STYLE_HEADER) for c in columns])

            plain = [c for c in columns if not c.batch]
            batched = [c for c in columns if c.batch]
            # The primary key (so distinct rows stay distinct) and the batch columns' key paths.
            keys = list(dict.fromkeys(["pk", *(c.key for c in batched)]))
            paths = [*keys, *flags, *(c.accessor for c in plain)]
            rows = queryset.values_list(*paths).iterator(chunk_size=CHUNK_SIZE)
            # Each sensitive column reads the flag of its subject (its index in the row).
            flag_at = {s: len(keys) + i for i, s in enumerate(subjects)}
            encoders = [
                (
                    encoder(c, xs.column_letter(i)),
                    masked_encoder(c, xs.column_letter(i)) if c.sensitive else None,
                    flag_at.get(_subject(c)) if c.sensitive else None,
                )
                for i, c in enumerate(columns, start=1)
            ]
            done = 0
            chunk = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= CHUNK_SIZE:
                    done += _write_chunk(sheet, chunk, columns, batched, keys, encoders, len(flags))
                    chunk = []
                    if progress:
                        progress(done)
            if chunk:
                done += _write_chunk(sheet, chunk, columns, batched, keys, encoders, len(flags))
            if progress:
                progress(done)
            sheet.auto_filter = f"A{header_row}:{last}{header_row + max(done, 1)}"
    return done


def _write_chunk(sheet, chunk, columns, batched, keys, encoders, n_flags):
    """Fetch the chunk's multi-valued cells (one query per batch column), then write it."""
    position = {key: i for i, key in enumerate(keys)}
    fetched = {id(c): c.accessor({row[position[c.key]] for row in chunk}) for c in batched}
    skip = len(keys) + n_flags
    # (encoder, masked encoder, its flag's index, extra, index of its value in the row) for
    # plain columns; batch columns read theirs from the fetched dict by their key's index.
    plan = []
    index = skip
    for column, (encode, masked, flag) in zip(columns, encoders, strict=True):
        if column.batch:
            plan.append((encode, masked, flag, fetched[id(column)], position[column.key]))
        else:
            plan.append((encode, masked, flag, None, index))
            index += 1
    append_xml = sheet.append_xml
    r = sheet.next_row()
    for row in chunk:
        ref = str(r)
        append_xml(
            "".join(
                [
                    (encode if flag is None or row[flag] else masked)(
                        row[at] if extra is None else extra.get(row[at]), ref
                    )
                    for encode, masked, flag, extra, at in plan
                ]
            )
        )
        r += 1
    return len(chunk)


def masked_encoder(column, letter):
    """The encoder of a contact cell the viewer may not read in full: the column's own mask
    if it has one, else the masking rule on the shown text."""
    if column.mask is not None:
        plain, mask = encoder(column, letter), column.mask
        return lambda raw, r: plain(mask(raw), r)
    convert = column.convert

    def encode(raw, r):
        if convert is not None:
            raw = convert(raw)
        if raw is None or raw == "":
            return ""
        return xs.text_xml(letter + r, mask_contact(str(raw)))

    return encode


def encoder(column, letter):
    """A function (raw value, row number as text) -> the cell's XML ("" when empty), made
    for the column's type so that each cell costs a few operations."""
    kind = column.type
    style = COLUMN_STYLES.get(kind, xs.STYLE_DEFAULT)
    text_xml, cell_xml, number_xml, serial = xs.text_xml, xs.cell_xml, xs.number_xml, xs.excel_serial

    if kind == DATETIME:

        def encode(raw, r):
            if raw is None or raw == "":
                return ""
            if isinstance(raw, datetime):
                return number_xml(letter + r, serial(excel_datetime(raw)), style)
            return cell_xml(letter + r, raw, style)

    elif kind == DATE:

        def encode(raw, r):
            if raw is None or raw == "":
                return ""
            if isinstance(raw, date):
                return number_xml(letter + r, serial(raw.date() if isinstance(raw, datetime) else raw), style)
            return cell_xml(letter + r, raw, style)

    elif kind == INT:

        def encode(raw, r):
            return "" if raw is None or raw == "" else number_xml(letter + r, int(raw))

    elif kind == DECIMAL:

        def encode(raw, r):
            if raw is None or raw == "":
                return ""
            return cell_xml(letter + r, float(raw) if isinstance(raw, Decimal) else raw, style)

    elif kind == BOOL:

        def encode(raw, r):
            return "" if raw is None or raw == "" else cell_xml(letter + r, bool(raw))

    else:  # TEXT and CHOICE: text (a date in a text column is still a date)
        labels = {k: str(v) for k, v in (column.choices or {}).items()} if kind == CHOICE else {}

        def encode(raw, r):
            if raw is None or raw == "":
                return ""
            if raw.__class__ is not str:
                if isinstance(raw, date):
                    return cell_xml(letter + r, excel_datetime(raw) if isinstance(raw, datetime) else raw)
                raw = labels.get(raw) or str(raw)
            elif labels:
                raw = labels.get(raw) or raw
            return text_xml(letter + r, raw)

    if column.convert is None:
        return encode
    convert = column.convert
    return lambda raw, r: encode(convert(raw), r)
