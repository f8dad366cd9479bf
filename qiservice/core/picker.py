"""A searchable picker for a list filter whose options grow with the data (the specialist
pool: a thousand people in a city, ten thousand in a province), instead of a <select> that
sends and renders them all (issue 9).

The filter renders a text box (``<name>_name``) and, once someone is chosen, a hidden
``<name>`` holding their id. As the user types, htmx asks the model's picker endpoint
(`picker_response`) for the matching rows the user may see and shows them under the box;
choosing one swaps in the picker with that row chosen, and the list reloads on the
``picked`` event. Without JavaScript the box is a plain field: the list then keeps the rows
whose name holds the text typed, and the id when the text is still the chosen row's name.
"""

import json
import re

import django_filters
from django import forms
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django_filters.fields import ModelChoiceField

from .forms import _attrs

PICKER_LIMIT = 20
FIELD_NAME = re.compile(r"[a-z][a-z_]{0,39}")


class NameMatch(str):
    """Text typed in a picker (no row chosen): the rows whose name holds it."""


def text_name(name):
    return f"{name}_name"


class PickerWidget(forms.Widget):
    template_name = "core/_picker.html"
    oob = False  # rendered as an htmx out-of-band swap (a list's partial response)

    def __init__(self, url_name, attrs=None):
        super().__init__(attrs)
        self.url_name = url_name
        self.chosen = None  # (pk, label) once the field has found the row

    def value_from_datadict(self, data, files, name):
        return (data.get(name) or "", data.get(text_name(name)) or "")

    def value_omitted_from_data(self, data, files, name):
        return name not in data and text_name(name) not in data

    def format_value(self, value):
        return value

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        typed = value[1] if isinstance(value, (list, tuple)) else ""
        widget.update(
            text_name=text_name(name),
            text=self.chosen[1] if self.chosen else typed,
            chosen=self.chosen[0] if self.chosen else None,
            url=reverse(self.url_name),
            vals=json.dumps({"name": name}),
            attrs_html=_attrs(widget["attrs"]),
            oob=self.oob,
        )
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # One small template, not the form renderer's engine (a list renders it once).
        return render_to_string(self.template_name, self.get_context(name, value, attrs))


class PickerField(ModelChoiceField):
    """A row chosen by id (``?specialist=7``), or `NameMatch` text typed without choosing.
    Its widget is a `PickerWidget` (given by `PickerFilter`), told here which row it shows."""

    def __init__(self, *args, label_field="name", **kwargs):
        self.label_field = label_field
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return getattr(obj, self.label_field)

    def to_python(self, value):
        pk, text = value if isinstance(value, (list, tuple)) else (value, "")
        text = (text or "").strip()
        obj = super().to_python(pk) if pk not in self.empty_values else None
        label = self.label_from_instance(obj) if obj is not None else None
        if obj is not None and text in ("", label):
            self.widget.chosen = (obj.pk, label)
            return obj
        # The text was changed after choosing (a form sent without JavaScript): the text wins.
        return NameMatch(text) if text else None


class PickerFilter(django_filters.ModelChoiceFilter):
    """A ModelChoiceFilter shown as a picker: the API and the exports keep the id."""

    field_class = PickerField

    def __init__(self, *args, picker_url, label_field="name", **kwargs):
        kwargs.setdefault("widget", PickerWidget(picker_url))
        self.label_field = label_field
        super().__init__(*args, label_field=label_field, **kwargs)

    def filter(self, qs, value):
        if isinstance(value, NameMatch):
            return qs.filter(**{f"{self.field_name}__{self.label_field}__icontains": value})
        return super().filter(qs, value)


def picker_response(request, queryset, *, url_name, label_field="name", detail=None):
    """The picker endpoint (htmx) over `queryset`, the rows the user may see:
    ``?name=<field>&<field>_name=<text>`` answers the matching rows (at most PICKER_LIMIT)
    as the picker's suggestions and drops the row chosen before (the text changed);
    ``?name=<field>&pick=<id>`` answers the picker with that row chosen (404 when the user
    may not see it) and fires ``picked``, on which the list reloads."""
    name = request.GET.get("name", "")
    if not FIELD_NAME.fullmatch(name):
        raise Http404
    pick = request.GET.get("pick")
    if pick is not None:
        obj = queryset.filter(pk=int(pick)).first() if pick.isdigit() and len(pick) < 10 else None
        if obj is None:
            raise Http404
        widget = PickerWidget(url_name, attrs={"class": "form-control"})
        widget.chosen = (obj.pk, getattr(obj, label_field))
        response = HttpResponse(widget.render(name, None, attrs={"id": f"id_{name}"}))
        response["HX-Trigger-After-Settle"] = json.dumps({"picked": {"target": f"#id_{name}-picker"}})
        return response
    text = request.GET.get(text_name(name), "").strip()[:50]
    found = []
    if text:
        matching = queryset.filter(**{f"{label_field}__icontains": text}).order_by(label_field, "pk")
        found = list(matching[: PICKER_LIMIT + 1])
    # No request context: the suggestions need no menu or message count.
    return HttpResponse(
        render_to_string(
            "core/_picker_options.html",
            {
                "name": name,
                "text": text,
                "url": reverse(url_name),
                "options": [
                    (obj.pk, getattr(obj, label_field), detail(obj) if detail else "") for obj in found[:PICKER_LIMIT]
                ],
                "more": len(found) > PICKER_LIMIT,
            },
        )
    )
