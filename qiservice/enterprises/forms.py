from django import forms
from django.utils.translation import gettext_lazy as _

from qiservice.accounts.models import District
from qiservice.core.forms import StyledFormMixin, VersionedFormMixin
from qiservice.core.validators import normalize_credit_code

from .models import Enterprise, EnterpriseContact


class EnterpriseForm(StyledFormMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "name",
            "credit_code",
            "district",
            "address",
            "industry",
            "size",
            "main_products",
            "rd_capability",
            "production_capacity",
            "quality_management",
            "contact_name",
            "contact_phone",
            "contact_email",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in ("main_products", "rd_capability", "production_capacity", "quality_management")
        }
        error_messages = {"credit_code": {"unique": _("该统一社会信用代码已登记，请在服务对象库中查找该企业。")}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        districts = District.objects.assignable_for(user)
        if self.instance.district_id:  # the enterprise's own district always stays a choice
            districts = districts | District.objects.filter(pk=self.instance.district_id)
        self.fields["district"].queryset = districts.distinct()
        self.fields["credit_code"].widget.attrs.update({"maxlength": 18, "autocapitalize": "characters"})
        self.fields["contact_phone"].widget.attrs.update({"inputmode": "tel"})

    def clean_credit_code(self):
        return normalize_credit_code(self.cleaned_data["credit_code"])


class EnterpriseContactForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = EnterpriseContact
        fields = ["name", "position", "phone", "email"]


EnterpriseContactFormSet = forms.inlineformset_factory(
    Enterprise, EnterpriseContact, form=EnterpriseContactForm, extra=1, can_delete=True
)
