"""Shared pieces of the API: authentication, errors, scope look-ups, form validation."""

from typing import Any

from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from ninja import Schema
from ninja.security import HttpBearer
from ninja.security import SessionAuth as _SessionAuth

from qiservice.accounts.models import ApiToken
from qiservice.core.audit import request_context


class TokenAuth(HttpBearer):
    """`Authorization: Bearer qit_…` with a token the user created on the tokens page."""

    openapi_description = "个人接口令牌（在“接口令牌”页面创建）"

    def authenticate(self, request, token):
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
            request_context.set((user, request.META.get("REMOTE_ADDR")))
        return user


class SessionAuth(_SessionAuth):
    """The browser's login session (CSRF token required for writes). Refused while the
    user must first change an expired password or enrol TOTP (accounts.middleware)."""

    def authenticate(self, request, key):
        if getattr(request, "account_block", None):
            return None
        user = request.user
        return user if user.is_authenticated and user.is_active else None


class Error(Schema):
    detail: Any


class ApiValidationError(Exception):
    """Raised with a list of {loc, msg} items; answered as 422."""

    def __init__(self, errors):
        self.errors = errors


def form_errors(form):
    errors = []
    for field, messages in form.errors.items():
        for message in messages:
            errors.append({"loc": ["body", field] if field != "__all__" else ["body"], "msg": message})
    return errors


def validation_errors(error: ValidationError):
    if hasattr(error, "error_dict"):
        return [{"loc": ["body", f], "msg": m} for f, ms in error.message_dict.items() for m in ms]
    return [{"loc": ["body"], "msg": m} for m in error.messages]


def get_scoped(model, user, pk, action="view"):
    return model.objects.get_for(user, pk, action)


def form_data(instance, form_class, payload: dict):
    """Merge a partial payload over the stored values, for PATCH."""
    data = dict(model_to_dict(instance, fields=form_class._meta.fields).items())
    for key, value in list(data.items()):
        if hasattr(value, "pk"):
            data[key] = value.pk
    data.update(payload)
    return {k: v for k, v in data.items() if v is not None}


def filter_queryset(filterset_class, filters: Schema, queryset, request):
    data = {k: v for k, v in filters.dict().items() if v not in (None, "")}
    filterset = filterset_class(data, queryset=queryset, request=request)
    if not filterset.is_valid():
        errors = [{"loc": ["query", f], "msg": m} for f, ms in filterset.errors.items() for m in ms]
        raise ApiValidationError(errors)
    return filterset.qs
