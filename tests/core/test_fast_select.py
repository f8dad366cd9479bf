"""The list filters' selects rendered in Python give Django's HTML (qiservice/core/forms.py)."""

import re

from django import forms
from hypothesis import given, settings
from hypothesis import strategies as st

from qiservice.core.forms import fast_selects, style_form

LABELS = st.text(alphabet="计量<>&\"'ab 1", max_size=5)
VALUES = st.text(alphabet='ab1&<"', max_size=3)


def normalised(html):
    return re.sub(r"\s*\n\s*", "\n", str(html)).strip()


def form_class(flat, groups):
    choices = [("", "全部"), *flat]
    if groups:
        choices.append(("组", groups))

    class Form(forms.Form):
        one = forms.ChoiceField(choices=choices, required=False)
        many = forms.MultipleChoiceField(choices=choices, required=False)
        plain = forms.CharField(required=False)

    return Form


@settings(max_examples=60, deadline=None)
@given(
    flat=st.lists(st.tuples(VALUES, LABELS), max_size=5),
    groups=st.lists(st.tuples(VALUES, LABELS), max_size=3),
    picked=st.lists(VALUES, max_size=3),
    invalid=st.booleans(),
)
def test_fast_selects_render_what_django_renders(flat, groups, picked, invalid):
    Form = form_class(flat, groups)
    data = {"one": picked[0] if picked else "", "many": picked, "plain": "x"}
    slow, fast = style_form(Form(data)), fast_selects(style_form(Form(data)))
    if invalid:
        slow.is_valid()
        fast.is_valid()
    for name in ("one", "many", "plain"):
        assert normalised(fast[name]) == normalised(slow[name])
    assert type(fast.fields["one"].widget).__name__ == "FastSelect"
    assert type(fast.fields["plain"].widget) is forms.TextInput
