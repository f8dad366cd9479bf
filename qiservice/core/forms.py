from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _


def style_form(form, empty_label=None):
    """Give every widget its Bootstrap class, so templates can render fields plainly."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
            css = ""
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            css = "form-select"
            if empty_label is not None and isinstance(field, forms.ModelChoiceField):
                field.empty_label = empty_label
        else:
            css = "form-control"
        if css and css not in widget.attrs.get("class", ""):
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
    return form


def _attrs(attrs):
    """django/forms/widgets/attrs.html in Python."""
    out = []
    for name, value in attrs.items():
        if value is True:
            out.append(f" {conditional_escape(name)}")
        elif value is not False:
            out.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(out)


class FastSelectMixin:
    """Renders the same HTML as Django's select templates, in Python: a filter with a
    thousand options (the specialist pool) cost tens of milliseconds through one template
    per option (issue 9)."""

    def render(self, name, value, attrs=None, renderer=None):
        # Widget.get_context: name, value and attrs without ChoiceWidget's dict per option.
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        multiple = self.allow_multiple_selected
        if multiple:
            widget["attrs"]["multiple"] = True
        chosen = set(widget["value"])
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        has_selected = False  # as ChoiceWidget.optgroups: one selected option unless multiple
        for option_value, option_label in self.choices:
            if isinstance(option_label, (list, tuple)):
                group, choices = option_value, option_label
            else:
                group, choices = None, [("" if option_value is None else option_value, option_label)]
            if group:
                parts.append(f'\n  <optgroup label="{conditional_escape(group)}">')
            for subvalue, sublabel in choices:
                selected = (not has_selected or multiple) and str(subvalue) in chosen
                has_selected |= selected
                parts.append(
                    f'\n  <option value="{conditional_escape(subvalue)}"{" selected" if selected else ""}>'
                    f"{conditional_escape(sublabel)}</option>"
                )
            if group:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


class FastSelect(FastSelectMixin, forms.Select):
    pass


class FastSelectMultiple(FastSelectMixin, forms.SelectMultiple):
    pass


FAST_WIDGETS = {forms.Select: FastSelect, forms.SelectMultiple: FastSelectMultiple}


def fast_selects(form):
    """Swap the plain select widgets of a (filter) form for the fast ones."""
    for field in form.fields.values():
        fast = FAST_WIDGETS.get(type(field.widget))
        if fast is not None:
            field.widget.__class__ = fast
    return form


class StyledFormMixin:
    """Gives every widget its Bootstrap class, so templates can render fields plainly,
    and blank choices the label "请选择" instead of dashes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label is not None:
                    field.empty_label = _("请选择")
            elif isinstance(field, forms.ChoiceField) and not isinstance(field.widget, forms.RadioSelect):
                field.choices = [("", _("请选择")) if value == "" else (value, label) for value, label in field.choices]

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
                widget.attrs["aria-invalid"] = "true"


class VersionedFormMixin:
    """Carries the row's updated_at through the form, so a concurrent edit is detected."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and hasattr(self.instance, "updated_at"):
            self.fields["loaded_at"] = forms.CharField(widget=forms.HiddenInput, required=False)
            self.initial["loaded_at"] = self.instance.updated_at.isoformat()

    @property
    def expected_updated_at(self):
        value = self.cleaned_data.get("loaded_at") if hasattr(self, "cleaned_data") else None
        return parse_datetime(value) if value else None
