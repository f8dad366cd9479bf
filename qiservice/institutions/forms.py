from django import forms

from qiservice.accounts.models import District
from qiservice.core.choices import QIField
from qiservice.core.forms import StyledFormMixin, VersionedFormMixin

from .models import Institution, ServiceItem


class InstitutionForm(StyledFormMixin, VersionedFormMixin, forms.ModelForm):
    qi_fields = forms.MultipleChoiceField(
        label=Institution._meta.get_field("qi_fields").verbose_name,
        choices=QIField.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Institution
        fields = [
            "name",
            "short_name",
            "kind",
            "qi_fields",
            "district",
            "address",
            "contact_name",
            "contact_phone",
            "contact_email",
            "description",
            "qualifications",
            "is_active",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "qualifications": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.all()

    def clean_qi_fields(self):
        chosen = self.cleaned_data["qi_fields"]
        return [v for v in QIField.values if v in chosen]


class ServiceItemForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ServiceItem
        fields = ["qi_field", "name", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


ServiceItemFormSet = forms.inlineformset_factory(
    Institution, ServiceItem, form=ServiceItemForm, extra=1, can_delete=True
)
