from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from qiservice.accounts.models import District
from qiservice.core.choices import QIField
from qiservice.core.forms import StyledFormMixin, VersionedFormMixin, style_form
from qiservice.core.validators import normalize_credit_code, normalize_phone, validate_credit_code, validate_phone

from .models import Policy

MAX_PDF_BYTES = 20 * 1024 * 1024


class RegistrationForm(StyledFormMixin, forms.Form):
    """An enterprise contact's self-registration (8.1.1, web)."""

    contact_name = forms.CharField(label=_("您的姓名"), max_length=50)
    enterprise_name = forms.CharField(label=_("企业名称"), max_length=100)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=30, help_text=_("18位，见营业执照"), validators=[validate_credit_code]
    )
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    username = forms.CharField(label=_("登录名"), max_length=150, help_text=_("字母、数字或 @ . + - _"))
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_credit_code(self):
        return normalize_credit_code(self.cleaned_data["credit_code"])

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data.get("phone"))
        if phone:
            validate_phone(phone)
        return phone

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        User = get_user_model()
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该登录名已被使用，请换一个。"))
        return username

    def clean(self):
        data = super().clean()
        if (
            not data.get("phone")
            and not data.get("email")
            and "phone" not in self.errors
            and "email" not in self.errors
        ):
            self.add_error("phone", _("请至少填写手机号或电子邮箱中的一项，以便审核联系。"))
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif p1:
            user = get_user_model()(username=data.get("username", ""), name=data.get("contact_name", ""))
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class PolicyForm(StyledFormMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Policy
        fields = [
            "title",
            "issuing_body",
            "document_number",
            "issued_on",
            "qi_field",
            "summary",
            "body",
            "file",
            "is_published",
        ]
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 12}),
            "file": forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and hasattr(upload, "content_type"):
            if upload.size > MAX_PDF_BYTES:
                raise forms.ValidationError(_("文件不能超过 20 MB。"))
            head = upload.read(5)
            upload.seek(0)
            if head != b"%PDF-":
                raise forms.ValidationError(_("请上传 PDF 文件。"))
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("body") and not data.get("file") and not self.instance.file:
            self.add_error("body", _("请填写正文或上传 PDF 文件。"))
        return data


class PolicyFilterForm(forms.Form):
    """A filter bar: the blank choice reads 全部 (not 请选择)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

    qi_field = forms.ChoiceField(label=_("领域"), choices=[("", _("全部")), *QIField.choices], required=False)
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)


class ApproveForm(StyledFormMixin, forms.Form):
    """Only needed when the enterprise is not yet registered: the verifier creates it."""

    district = forms.ModelChoiceField(label=_("所在区"), queryset=District.objects.none(), required=False)
    address = forms.CharField(label=_("企业地址"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False, validators=[validate_phone])

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.assignable_for(user)


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)
