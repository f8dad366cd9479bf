from django import template

register = template.Library()


@register.simple_tag
def sort_link(column, current, query):
    """The query string that sorts by this column (toggling the direction)."""
    key = column.accessor
    new = f"-{key}" if current == key else key
    return f"?{query}&sort={new}" if query else f"?sort={new}"


@register.filter
def sort_arrow(column, current):
    if current == column.accessor:
        return "▲"
    if current == f"-{column.accessor}":
        return "▼"
    return ""


@register.filter
def is_checkbox(field):
    return field.widget_type in ("checkbox",)


@register.filter
def is_multi(field):
    return field.widget_type in ("checkboxselectmultiple", "radioselect")


@register.filter
def masked(value, full=False):
    """`{{ phone|masked }}` masks a phone number or e-mail address; `{{ phone|masked:full }}`
    shows it as is when `full` (whether the viewer may read it: masking.can_see_contact)."""
    from qiservice.core.masking import shown

    return shown(value, bool(full))


@register.filter
def audit_summary(entry, full=False):
    """An audit record's line, contact values masked unless `full`."""
    return entry.summary_for(full_contacts=bool(full))
