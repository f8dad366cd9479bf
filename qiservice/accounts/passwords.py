"""Password rules (等保 2.0 / ASVS), as Django AUTH_PASSWORD_VALIDATORS classes with Chinese
messages: length, character classes, not the username, not one of the recent passwords.

Django runs them wherever a password is chosen through a form (the password change page,
registration, the admin); `PasswordHistoryValidator.password_changed` keeps the history
whenever a password is saved.
"""

from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator:
    def __init__(self, min_length=12):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(self.get_help_text(), code="password_too_short")

    def get_help_text(self):
        return ngettext(
            "密码至少需要 %(min_length)d 个字符。", "密码至少需要 %(min_length)d 个字符。", self.min_length
        ) % {"min_length": self.min_length}


def character_classes(password):
    """How many of the four classes (upper case, lower case, digits, others) occur."""
    return sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password) or any(c.isalpha() and not c.isascii() for c in password),
        )
    )


class CharacterClassValidator:
    """At least `min_classes` of: upper-case letters, lower-case letters, digits, symbols
    (a Chinese character counts as a symbol)."""

    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _("密码须包含大写字母、小写字母、数字、符号四类中的至少 %(n)d 类。") % {"n": self.min_classes}


class UsernameSimilarityValidator(UserAttributeSimilarityValidator):
    """Not the username, not containing it (forwards or backwards), and not similar to the
    username, name or e-mail address (Django's similarity measure)."""

    DEFAULT_USER_ATTRIBUTES = ("username", "name", "first_name", "last_name", "email")

    def __init__(self, user_attributes=DEFAULT_USER_ATTRIBUTES, max_similarity=0.7):
        super().__init__(user_attributes, max_similarity)

    def validate(self, password, user=None):
        if user is not None:
            username = (getattr(user, "username", "") or "").lower()
            lowered = password.lower()
            if username and (
                (len(username) >= 3 and (username in lowered or username[::-1] in lowered)) or lowered in username
            ):
                raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")
        super().validate(password, user)

    def get_error_message(self):
        return _("密码与%(verbose_name)s过于相似。")

    def get_help_text(self):
        return _("密码不能包含用户名，也不能与您的姓名、电子邮箱等个人信息相似。")


class PasswordHistoryValidator:
    """Not one of the user's last `count` passwords (the current one included)."""

    def __init__(self, count=5):
        self.count = count

    def _recent_hashes(self, user):
        if user is None or user.pk is None or self.count < 1:
            return []
        from .models import PasswordHistory

        hashes = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self.count])
        stored = type(user).objects.filter(pk=user.pk).values_list("password", flat=True).first()
        if stored and stored not in hashes:
            hashes.insert(0, stored)  # accounts older than the history
        return hashes[: self.count]

    def validate(self, password, user=None):
        for encoded in self._recent_hashes(user):
            if check_password(password, encoded):
                raise ValidationError(
                    ngettext(
                        "不能使用最近 %(count)d 次用过的密码，请换一个新密码。",
                        "不能使用最近 %(count)d 次用过的密码，请换一个新密码。",
                        self.count,
                    )
                    % {"count": self.count},
                    code="password_reused",
                )

    def password_changed(self, password, user=None):
        """Called by Django after a new password is saved: keep its hash, drop the oldest."""
        if user is None or user.pk is None or not user.has_usable_password():
            return
        from .models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        old = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self.count :]
        PasswordHistory.objects.filter(pk__in=list(old)).delete()

    def get_help_text(self):
        return _("不能与最近 %(count)d 次用过的密码相同。") % {"count": self.count}
