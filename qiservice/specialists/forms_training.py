from django import forms
from django.utils.translation import gettext_lazy as _

from qiservice.core.forms import StyledFormMixin, VersionedFormMixin

from .choices import TrainingTopic
from .models import PoolSettings, Training


class TrainingEditForm(StyledFormMixin, VersionedFormMixin, forms.ModelForm):
    topics = forms.MultipleChoiceField(
        label=_("内容"), choices=TrainingTopic.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Training
        fields = ["title", "form", "topics", "held_on", "hours", "organiser", "materials"]
        widgets = {"held_on": forms.DateInput(attrs={"type": "date"}), "materials": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hours"].min_value = 0.5

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours is None or hours <= 0 or hours > 200:
            raise forms.ValidationError(_("学时应在 0.5 至 200 之间。"))
        return hours

    def clean_topics(self):
        return [v for v in TrainingTopic.values if v in self.cleaned_data["topics"]]


class PoolSettingsForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = PoolSettings
        fields = ["selection_rules", "yearly_training_hours"]
        widgets = {"selection_rules": forms.Textarea(attrs={"rows": 16})}

    def clean_yearly_training_hours(self):
        hours = self.cleaned_data["yearly_training_hours"]
        if not hours:
            raise forms.ValidationError(_("每年培训学时要求至少为 1 学时。"))
        return hours


class SignInSheetForm(forms.Form):
    sheet = forms.FileField(label=_("签到表（.xlsx）"))
