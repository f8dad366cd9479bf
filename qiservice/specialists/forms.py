from django import forms
from django.utils.translation import gettext_lazy as _

from qiservice.accounts.models import District
from qiservice.core.forms import StyledFormMixin, VersionedFormMixin
from qiservice.core.visibility import get_scope

from .choices import STATUS_TRANSITIONS, SpecialistStatus
from .models import Specialist, SpecialistField

PROFILE_FIELDS = ["name", "phone", "email", "employer", "title", "qualifications", "expertise"]
POOL_FIELDS = ["district", "capacity", "term_ends_on", "admission_route", "nominated_by"]


class SpecialistForm(StyledFormMixin, VersionedFormMixin, forms.ModelForm):
    """The agency edits everything but the status; a specialist edits their own profile."""

    username = forms.RegexField(
        label=_("登录账号"),
        regex=r"^[A-Za-z0-9_.-]{3,30}$",
        error_messages={"invalid": _("登录账号为3至30位字母、数字、下划线、点或短横线。")},
    )

    class Meta:
        model = Specialist
        fields = PROFILE_FIELDS + POOL_FIELDS
        widgets = {
            "qualifications": forms.Textarea(attrs={"rows": 2}),
            "expertise": forms.Textarea(attrs={"rows": 3}),
            "term_ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = get_scope(user)
        if self.instance.pk:
            del self.fields["username"]
        if "admission_route" in self.fields:
            self.fields["admission_route"].required = False
        if scope.is_agency:
            districts = District.objects.assignable_for(user)
            if self.instance.district_id:
                districts = districts | District.objects.filter(pk=self.instance.district_id)
            self.fields["district"].queryset = districts.distinct()
        else:
            for name in POOL_FIELDS:
                del self.fields[name]

    def clean_admission_route(self):
        return self.cleaned_data.get("admission_route") or "application"

    def clean(self):
        data = super().clean()
        if data.get("admission_route") == "nomination" and not (data.get("nominated_by") or "").strip():
            self.add_error("nominated_by", _("单位推荐的，请填写推荐单位。"))
        return data


class SpecialistFieldForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = SpecialistField
        fields = ["field", "proficiency"]


SpecialistFieldFormSet = forms.inlineformset_factory(
    Specialist, SpecialistField, form=SpecialistFieldForm, extra=1, can_delete=True, max_num=6
)


class StatusChangeForm(StyledFormMixin, forms.Form):
    to_status = forms.ChoiceField(label=_("变更为"), choices=())
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)
    term_ends_on = forms.DateField(label=_("聘期截止"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, specialist, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = STATUS_TRANSITIONS.get(specialist.status, set())
        self.fields["to_status"].choices = [(v, label) for v, label in SpecialistStatus.choices if v in allowed]
