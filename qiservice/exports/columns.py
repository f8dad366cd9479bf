"""The columns of an export: a header, how the value is read, and its cell type.

A column reads one `values_list()` path (``accessor`` a string such as ``"enterprise__name"``)
or, for a value made of several related rows (a demand's categories), a *batch* function
that gets the primary keys of one chunk of rows and returns ``{pk: text}`` — so no model
instance is ever loaded. Headers, types and choice labels default to the model field's
verbose name, class and choices, so the export reads like the list page.
"""

import functools
import json
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models

TEXT, INT, DECIMAL, DATE, DATETIME, BOOL, CHOICE = "text", "int", "decimal", "date", "datetime", "bool", "choice"

DEFAULT_WIDTHS = {TEXT: 18, INT: 10, DECIMAL: 12, DATE: 12, DATETIME: 18, BOOL: 8, CHOICE: 14}


@dataclass
class Column:
    """One column of an export.

    accessor   a values_list() path, or a function(pks) -> {pk: value} when `batch` is set.
    header     the Chinese heading (defaults to the field's verbose name).
    type       TEXT / INT / DECIMAL / DATE / DATETIME / BOOL / CHOICE (defaults from the field).
    choices    {stored value: label} for CHOICE (defaults to the field's choices).
    convert    a function applied to the raw value (e.g. JSON to text).
    sensitive  a phone number or e-mail address, masked per row for those who may not read it
               in full (qiservice/core/masking.py): True for the row's own object, or the
               path to the object it belongs to ("demand", "demand__specialist").
    """

    accessor: object
    header: object = None
    type: str | None = None
    width: int | None = None
    choices: dict | None = None
    convert: object = None
    batch: bool = False
    key: str = "pk"  # for a batch column: the values_list() path whose values it is given
    sensitive: bool | str = False
    mask: object = None  # for a sensitive column: raw value -> masked raw value (default: the cell masked)
    model_field: object = field(default=None, repr=False)

    def bind(self, model):
        """Fill the header, type and choices in from the model field the path ends on."""
        if self.batch or not isinstance(self.accessor, str):
            self.type = self.type or TEXT
            return self
        f = resolve_field(model, self.accessor)
        self.model_field = f
        if self.header is None:
            self.header = f.verbose_name
        if self.choices is None and getattr(f, "choices", None):
            self.choices = dict(f.flatchoices)
        if self.type is None:
            self.type = field_type(f, self.choices)
        return self


def resolve_field(model, path):
    """The model field a ``a__b__c`` path ends on (``pk`` and ``id`` included)."""
    f = None
    for part in path.split("__"):
        f = model._meta.pk if part == "pk" else model._meta.get_field(part)
        if f.is_relation and f.related_model is not None:
            model = f.related_model
    return f


def field_type(f, choices):
    if choices:
        return CHOICE
    if isinstance(f, models.DateTimeField):
        return DATETIME
    if isinstance(f, models.DateField):
        return DATE
    if isinstance(f, models.BooleanField):
        return BOOL
    if isinstance(f, models.DecimalField | models.FloatField):
        return DECIMAL
    if isinstance(f, models.IntegerField | models.AutoField) and not f.is_relation:
        return INT
    return TEXT


def to_json_text(value):
    if not value:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def excel_datetime(value):
    """An aware datetime as the naive local time (Asia/Shanghai) Excel can hold."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(_local_zone())
    return value.replace(tzinfo=None)


@functools.cache
def _local_zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)
