from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qiservice.core.forms import StyledFormMixin

from . import lockout, workflow
from .choices import LoginFailureReason


class LoginForm(AuthenticationForm):
    """Django's login form behind the lockout: a locked account name or address is refused
    before the password is checked, with the same words whether or not the name exists."""

    def _locked(self, username):
        return bool(lockout.active_locks(username, lockout.address_of(self.request)))

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password and self._locked(username):
            workflow.record_login_failure(self.request, username, LoginFailureReason.LOCKED)
            raise ValidationError(lockout.locked_message(), code="locked")
        try:
            return super().clean()
        except ValidationError:
            if username and self._locked(username):  # this failure was the last one allowed
                raise ValidationError(lockout.locked_message(), code="locked") from None
            raise

    @property
    def locked(self):
        return self.has_error(forms.forms.NON_FIELD_ERRORS, "locked")


class PasswordChangeForm(StyledFormMixin, forms.Form):
    """The current password and the new one twice; the rules are checked by
    workflow.change_password (settings.AUTH_PASSWORD_VALIDATORS)."""

    old_password = forms.CharField(
        label=_("当前密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password1 = forms.CharField(
        label=_("新密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = " ".join(str(t) for t in password_validators_help_texts())

    def clean_old_password(self):
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise ValidationError(_("当前密码不正确，请重新输入。"))
        return old

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("new_password1"), data.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


class TotpCodeForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label=_("6位动态验证码"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )


class TotpDisableForm(StyledFormMixin, forms.Form):
    password = forms.CharField(
        label=_("登录密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
