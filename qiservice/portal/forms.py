"""The portal's forms: the online demand (Appendix A from the enterprise's side) and a
message. They check the input for the page; the rules in `workflow.py` check it again."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qiservice.core.forms import StyledFormMixin
from qiservice.core.validators import normalize_phone, validate_phone
from qiservice.demands.forms.registration import CATEGORY_CHOICES
from qiservice.enterprises.models import Enterprise

from .workflow import MAX_FILES, MAX_LENGTHS, MESSAGE_MAX_CHARS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class DemandForm(StyledFormMixin, forms.Form):
    """需求登记表 (Appendix A) as the enterprise fills it in: 来源 is 网络, 填表人 the user,
    日期 today, 编号 given on saving."""

    enterprise = forms.ModelChoiceField(
        label=_("服务对象"),
        queryset=None,
        error_messages={"invalid_choice": _("请选择您所在的企业。"), "required": _("请选择您所在的企业。")},
    )
    categories = forms.MultipleChoiceField(
        label=_("需求类别"),
        choices=CATEGORY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("可多选"),
        error_messages={"required": _("请至少选择一个需求类别。"), "invalid_choice": _("请选择有效的需求类别。")},
    )
    description = forms.CharField(
        label=_("需求描述"),
        max_length=MAX_LENGTHS["description"],
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("请填写需求描述。")},
    )
    contact_name = forms.CharField(
        label=_("联系人"), max_length=MAX_LENGTHS["contact_name"], error_messages={"required": _("请填写联系人。")}
    )
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=MAX_LENGTHS["contact_phone"],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        error_messages={"required": _("请填写联系电话。")},
    )
    contact_email = forms.EmailField(
        label=_("电子邮箱"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("请填写有效的电子邮箱。")},
    )
    address = forms.CharField(
        label=_("地址"), max_length=MAX_LENGTHS["address"], required=False, help_text=_("留空则使用企业登记的地址")
    )
    files = MultipleFileField(
        label=_("附件"),
        required=False,
        help_text=_("可选，最多 %(n)d 个；PDF、图片（JPG/PNG）、Word、Excel 或文本文件，每个不超过 %(mb)d MB")
        % {"n": MAX_FILES, "mb": settings.ATTACHMENT_MAX_BYTES // 1024 // 1024},
    )
    files_are_secret = forms.BooleanField(
        label=_("附件涉及商业秘密（仅承办的服务专员、技术机构和管理机构可见）"), required=False
    )

    def __init__(self, *args, user, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["enterprise"].queryset = Enterprise.objects.filter(pk__in=[e.pk for e in enterprises])
        self.fields["categories"].widget.attrs["class"] = "btn-check"  # touch-sized toggle buttons
        self.fields["description"].widget.attrs["placeholder"] = _(
            "请说明企业遇到的问题、希望得到的服务，例如：新购测量设备需要校准、准备申请质量管理体系认证……"
        )
        self.fields["files"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,.doc,.docx,.xls,.xlsx,.txt"
        self.single_enterprise = len(enterprises) == 1
        self.enterprise_name = enterprises[0].name if enterprises else ""
        self.only_enterprise = enterprises[0] if self.single_enterprise else None
        if self.single_enterprise:
            self.fields["enterprise"].widget = forms.HiddenInput()
            self.fields["enterprise"].required = False
        if not self.is_bound:
            first = enterprises[0] if enterprises else None
            # Prefilled from the enterprise and the user (the user can change them).
            self.initial.setdefault("enterprise", first.pk if first else None)
            self.initial.setdefault("contact_name", user.display_name if user.display_name != user.username else "")
            phone = getattr(user, "phone", "") or (first.contact_phone if first else "")
            self.initial.setdefault("contact_phone", phone)
            self.initial.setdefault("contact_email", user.email or (first.contact_email if first else ""))
            self.initial.setdefault("address", first.address if first else "")
            if not self.initial["contact_name"] and first:
                self.initial["contact_name"] = first.contact_name

    def clean_enterprise(self):
        return self.cleaned_data.get("enterprise") or self.only_enterprise

    def clean_contact_phone(self):
        value = (self.cleaned_data.get("contact_phone") or "").strip()
        validate_phone(value)
        return normalize_phone(value)

    def clean_description(self):
        value = (self.cleaned_data.get("description") or "").strip()
        if not value:
            raise forms.ValidationError(_("请填写需求描述。"))
        return value

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("一次最多上传 %(n)d 个附件。") % {"n": MAX_FILES})
        return files

    def submit_kwargs(self):
        data = self.cleaned_data
        return {
            "enterprise": data["enterprise"],
            "categories": data["categories"],
            "description": data["description"],
            "contact_name": data["contact_name"].strip(),
            "contact_phone": data["contact_phone"],
            "contact_email": data.get("contact_email") or "",
            "address": (data.get("address") or "").strip(),
            "uploads": data.get("files") or [],
            "uploads_are_secret": bool(data.get("files_are_secret")),
        }


class MessageForm(StyledFormMixin, forms.Form):
    text = forms.CharField(
        label=_("留言"),
        max_length=MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写留言内容。")},
    )

    def __init__(self, *args, placeholder=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["placeholder"] = placeholder or _("写下您的问题或情况说明")


class WithdrawForm(StyledFormMixin, forms.Form):
    """撤回需求: the enterprise no longer needs the service (its reason is kept)."""

    reason = forms.CharField(
        label=_("撤回理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写撤回理由。")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
