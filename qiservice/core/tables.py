"""Columns of the list pages: what a cell shows, and which field sorts it."""

from functools import cache
from typing import NamedTuple

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime


class Column:
    def __init__(self, accessor, label, *, sort=None, link=False, badge=None, primary=False):
        self.accessor = accessor
        self.label = label
        self.sort = sort  # the ORM ordering field, or None when the column does not sort
        self.link = link  # link the cell to the object's detail page
        self.badge = badge  # a function value -> Bootstrap colour, for status columns
        self.primary = primary  # the title line of the card shown on phones

    def value(self, obj):
        value = obj
        for part in self.accessor.split("."):
            labels = _labels(type(value), part) if isinstance(value, models.Model) else None
            raw = getattr(value, part, None) if labels is not None else None
            if labels is not None and isinstance(raw, (str, int)):
                value = labels.get(raw, raw)
                value = str(value) if isinstance(value, Promise) else value
                continue
            display = getattr(value, f"get_{part}_display", None)
            value = display() if display else getattr(value, part, None)
            if callable(value):
                value = value()
            if value is None:
                return ""
        return value

    def render(self, obj):
        value = self.value(obj)
        if hasattr(value, "tzinfo") and hasattr(value, "hour"):
            value = date_format(localtime(value), "Y-m-d H:i")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, (list, tuple)):
            return format_html_join(" ", '<span class="badge text-bg-light border">{}</span>', ((v,) for v in value))
        if self.badge:
            raw = obj
            for part in self.accessor.split("."):
                raw = getattr(raw, part)
            return format_html('<span class="badge text-bg-{}">{}</span>', self.badge(raw), value)
        if self.link:
            return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), value)
        return conditional_escape(value)


class Row(NamedTuple):
    obj: models.Model
    tr: SafeString  # the desktop table's row
    card: SafeString  # the phone's card: the primary cell as its title, the others labelled


def table_rows(columns, objects):
    """The rows of a list page as HTML, each cell rendered once for the table and the card.
    Joined here rather than by a template loop over the cells: twenty-five rows of ten
    cells, twice, through the template engine were most of a list page's time (issue 9)."""
    labels = [(conditional_escape(column.label), column.primary) for column in columns]
    rows = []
    for obj in objects:
        cells = [conditional_escape(column.render(obj)) for column in columns]
        shown = list(zip(cells, labels, strict=True))
        title = "".join(f'<div class="fw-semibold mb-1">{cell}</div>' for cell, (_, primary) in shown if primary)
        details = "".join(f"<span>{label}：{cell}</span>" for cell, (label, primary) in shown if not primary)
        tr = "".join(f"<td>{cell}</td>" for cell in cells)
        card = (
            f'<li class="list-group-item">{title}'
            f'<div class="small text-body-secondary d-flex flex-wrap gap-2">{details}</div></li>'
        )
        rows.append(Row(obj, mark_safe(f"<tr>{tr}</tr>"), mark_safe(card)))  # noqa: S308 (every cell is escaped)
    return rows


def detail_url(name, obj):
    return reverse(name, args=[obj.pk])


class ContactColumn(Column):
    """A phone number or e-mail address: in full only where the viewer may read it (the
    row's `contact_full`, from `masking.annotate_contact` in the list's queryset); masked
    otherwise, also when the list forgot to annotate (R6.2)."""

    def render(self, obj):
        from .masking import CONTACT_FULL, shown

        return format_html("{}", shown(self.value(obj), getattr(obj, CONTACT_FULL, False)))


@cache
def _labels(model, name):
    """{value: label} of a field with choices, or None. What get_<name>_display() returns,
    without its cost: Django hashes every (lazy, so translated) label on each call, which
    was most of a list page's time (issue 9)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not getattr(field, "choices", None) or field.is_relation:
        return None
    return dict(field.flatchoices)
