"""The demand registration form (8.1.3, Appendix A 需求登记表).

Two forms on one page: `RegistrationForm` holds the Appendix A fields and the enterprise
picked from the registry; `NewEnterpriseForm` holds a new enterprise registered on the spot
("新登记企业"). The view saves both through the rules functions in one transaction.
"""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.choices import QIField
from qiservice.core.forms import StyledFormMixin
from qiservice.enterprises.forms import EnterpriseForm
from qiservice.enterprises.models import Enterprise

from ..choices import DemandSource
from ..models import Demand

# Appendix A names the categories "…服务" (计量服务, 标准化服务 …); "其他" stays as it is.
CATEGORY_CHOICES = [
    (value, label if value == QIField.OTHER else _("%(field)s服务") % {"field": label})
    for value, label in QIField.choices
]

EXISTING, NEW = "existing", "new"
ENTERPRISE_MODES = [(EXISTING, _("选择已登记企业")), (NEW, _("新登记企业"))]

# How many enterprises the picker offers at once; typing more narrows the list.
PICKER_LIMIT = 20


def enterprises_for(user):
    """The enterprises `user` may register a demand for (the registry, scoped)."""
    return Enterprise.objects.restrict(user, "change")


def search_enterprises(user, q):
    """The picker's matches: part of a name or of a credit code, at most PICKER_LIMIT + 1
    (the extra row tells the page there are more)."""
    queryset = enterprises_for(user).select_related("district").order_by("name", "pk")
    q = (q or "").strip()
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(credit_code__icontains=q.upper()))
    return list(queryset[: PICKER_LIMIT + 1])


def enterprise_label(enterprise):
    return f"{enterprise.name}（{enterprise.credit_code} · {enterprise.district}）"


class RegistrationForm(StyledFormMixin, forms.ModelForm):
    """Appendix A: 服务对象 · 地址 · 需求类别 · 来源 · 联系人 · 联系方式 · 需求描述 (填表人 and
    日期 are the user and today, set by `workflow.register_demand`)."""

    enterprise_mode = forms.ChoiceField(
        label=_("服务对象"), choices=ENTERPRISE_MODES, initial=EXISTING, widget=forms.RadioSelect
    )
    enterprise = forms.ModelChoiceField(
        label=_("服务对象"),
        queryset=Enterprise.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("该服务对象不存在，或您无权为其登记需求。")},
    )
    categories = forms.MultipleChoiceField(
        label=_("需求类别"),
        choices=CATEGORY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("可多选"),
        error_messages={"required": _("请至少选择一个需求类别。")},
    )
    source = forms.ChoiceField(
        label=_("来源"),
        choices=DemandSource.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择需求来源。")},
    )

    class Meta:
        model = Demand
        fields = ["address", "contact_name", "contact_phone", "contact_email", "description", "collected_on"]
        labels = {"contact_phone": _("联系电话")}
        help_texts = {
            "address": _("留空则使用服务对象登记的地址"),
            "collected_on": _("收集到需求的日期，默认今天"),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "collected_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, user, target=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.target = target
        self.fields["address"].required = False
        self.fields["enterprise"].queryset = enterprises_for(user)
        self.fields["description"].widget.attrs["placeholder"] = _("企业遇到的问题、希望得到的服务，尽量详尽准确")
        self.fields["address"].widget.attrs["placeholder"] = _("默认为服务对象地址")
        for name in ("categories", "source"):  # shown as touch-sized toggle buttons
            self.fields[name].widget.attrs["class"] = "btn-check"
        if not self.is_bound:
            self.initial.setdefault("collected_on", timezone.localdate())
        if target is not None:
            # A special task's target: the enterprise is the target's, not a choice.
            self.fields["enterprise_mode"].required = False
            self.initial["enterprise"] = target.enterprise_id
        self._offer_enterprises()

    def _offer_enterprises(self):
        """The picker's <select> offers the chosen enterprise and the first matches only:
        the registry may hold hundreds of thousands; the search box fetches the rest."""
        chosen = self.chosen_enterprise()
        offered = search_enterprises(self.user, "")[:PICKER_LIMIT]
        if chosen is not None and chosen not in offered:
            offered.insert(0, chosen)
        self.fields["enterprise"].widget.choices = [("", _("请选择或在上方搜索"))] + [
            (e.pk, enterprise_label(e)) for e in offered
        ]
        self.offered_enterprises = offered

    def chosen_enterprise(self):
        if self.target is not None:
            return self.target.enterprise
        value = self.data.get(self.add_prefix("enterprise")) if self.is_bound else self.initial.get("enterprise")
        if not value:
            return None
        try:
            return enterprises_for(self.user).select_related("district").filter(pk=int(value)).first()
        except (TypeError, ValueError):
            return None

    @property
    def mode(self):
        if self.target is not None:
            return EXISTING
        value = (
            self.data.get(self.add_prefix("enterprise_mode")) if self.is_bound else self.initial.get("enterprise_mode")
        )
        return NEW if value == NEW else EXISTING

    def clean_contact_phone(self):
        return (self.cleaned_data.get("contact_phone") or "").strip()

    def clean_collected_on(self):
        collected_on = self.cleaned_data.get("collected_on")
        if collected_on and collected_on > timezone.localdate():
            raise forms.ValidationError(_("收集日期不能晚于今天。"))
        return collected_on

    def clean(self):
        cleaned = super().clean()
        if self.target is not None:
            cleaned["enterprise_mode"] = EXISTING
            cleaned["enterprise"] = self.target.enterprise
        elif (
            cleaned.get("enterprise_mode") == EXISTING
            and not cleaned.get("enterprise")
            and "enterprise" not in self.errors
        ):
            self.add_error("enterprise", _("请选择服务对象，或选择“新登记企业”当场登记。"))
        return cleaned

    def register_kwargs(self):
        """The keyword arguments of `workflow.register_demand` (without enterprise and by)."""
        data = self.cleaned_data
        return {
            "categories": data["categories"],
            "source": data["source"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "contact_email": data.get("contact_email") or "",
            "description": data["description"],
            "address": data.get("address") or "",
            "collected_on": data.get("collected_on"),
            "task_target": self.target,
        }


class NewEnterpriseForm(EnterpriseForm):
    """An enterprise registered on the spot with its demand: the registry's own form, with
    only the fields an intake needs (the profile is verified later, in preparation 8.2.2).
    Its contact defaults to the demand's contact person."""

    class Meta(EnterpriseForm.Meta):
        fields = ["name", "credit_code", "district", "address", "contact_name", "contact_phone"]
        help_texts = {"contact_name": _("留空则与下方需求联系人相同")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "new")
        super().__init__(*args, **kwargs)
        self.fields["contact_name"].required = False
        self.fields["contact_phone"].required = False
        self.fields["contact_phone"].help_text = _("留空则与下方需求联系电话相同")
        self.fields["name"].widget.attrs["autocomplete"] = "organization"

    def enterprise(self, *, contact_name, contact_phone):
        """The unsaved enterprise, its contact filled from the demand's when left blank."""
        enterprise = self.save(commit=False)
        enterprise.contact_name = enterprise.contact_name or contact_name
        enterprise.contact_phone = enterprise.contact_phone or contact_phone
        return enterprise
