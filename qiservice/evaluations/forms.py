from django import forms
from django.utils.translation import gettext_lazy as _

from qiservice.core.forms import StyledFormMixin

from .choices import ITEMS, Rating


class RatingField(forms.TypedChoiceField):
    """One Appendix C item: 非常满意 10 / 满意 8 / 一般 6 / 不满意 0, as a row of radio buttons."""

    def __init__(self, label):
        message = _("请为“%(item)s”选择评价等级（非常满意、满意、一般或不满意）。") % {"item": label}
        super().__init__(
            label=label,
            choices=Rating.choices,
            coerce=int,
            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            error_messages={"required": message, "invalid_choice": message},
        )


class EvaluationForm(StyledFormMixin, forms.Form):
    """Appendix C — the five items, other suggestions, remarks and who filled it in.

    The same form serves the link (no login), the enterprise's login and the agency's
    entry of a paper form; `record_evaluation` checks the rest."""

    suggestions = forms.CharField(label=_("其他建议"), required=False, max_length=2000, widget=forms.Textarea)
    remarks = forms.CharField(label=_("备注"), required=False, max_length=2000, widget=forms.Textarea)
    evaluator_name = forms.CharField(label=_("评价人（选填）"), required=False, max_length=50)

    def __init__(self, *args, evaluator_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        items = {name: RatingField(label) for name, label in ITEMS}
        # The five items first, in the form's order.
        self.fields = items | self.fields
        for name in ("suggestions", "remarks"):
            self.fields[name].widget.attrs.update({"rows": 3, "class": "form-control"})
        self.fields["evaluator_name"].widget.attrs.update({"autocomplete": "name", "class": "form-control"})
        if evaluator_label:
            self.fields["evaluator_name"].label = evaluator_label

    def item_fields(self):
        return [self[name] for name, _label in ITEMS]

    def ratings(self):
        return {name: self.cleaned_data[name] for name, _label in ITEMS}

    def extra(self):
        return {k: self.cleaned_data[k] for k in ("suggestions", "remarks", "evaluator_name")}
