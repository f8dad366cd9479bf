from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from qiservice.demands.workflow import StaleDemandError

from .common import ApiValidationError, SessionAuth, TokenAuth, validation_errors

api = NinjaAPI(
    title="厦门市质量基础设施协同服务平台 API",
    version="1.0.0",
    description=(
        "与界面相同的数据与权限范围。认证：浏览器会话（写操作需 CSRF 令牌），"
        "或在“接口令牌”页面创建的个人令牌（`Authorization: Bearer qit_…`）。"
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("未找到该记录，或您无权访问。")}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or _("您无权执行此操作。")}, status=403)


HTTP_MESSAGES = {
    400: "请求体不是有效的 JSON，或格式不正确。",
    405: "不支持该请求方法。",
    413: "请求体过大。",
    429: "请求过于频繁，请稍后再试。",
}


@api.exception_handler(HttpError)
def http_error(request, exc):
    message = HTTP_MESSAGES.get(exc.status_code, str(exc))
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": _("请先登录，或提供有效的接口令牌。")}, status=401)


# pydantic's error types, in Chinese: API clients and their users read these messages.
PYDANTIC_MESSAGES = {
    "missing": "必填项，不能为空。",
    "string_type": "应为文本。",
    "int_type": "应为整数。",
    "int_parsing": "应为整数。",
    "bool_type": "应为布尔值（true / false）。",
    "bool_parsing": "应为布尔值（true / false）。",
    "list_type": "应为数组。",
    "dict_type": "应为对象。",
    "model_type": "应为对象。",
    "model_attributes_type": "应为对象。",
    "date_parsing": "应为日期，格式 YYYY-MM-DD。",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD。",
    "date_type": "应为日期，格式 YYYY-MM-DD。",
    "datetime_parsing": "应为日期时间（ISO 8601）。",
    "datetime_type": "应为日期时间（ISO 8601）。",
    "greater_than_equal": "数值过小。",
    "less_than_equal": "数值过大。",
    "string_too_long": "文本过长。",
    "json_invalid": "请求体不是有效的 JSON。",
    "int_from_float": "应为整数。",
    "float_parsing": "应为数字。",
    "float_type": "应为数字。",
}


DEFAULT = "格式不正确。"


@api.exception_handler(NinjaValidationError)
def schema_invalid(request, exc):
    errors = [
        {
            "loc": list(e.get("loc", ())),
            "type": e.get("type"),
            "msg": PYDANTIC_MESSAGES.get(e.get("type"), "格式不正确。"),
        }
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": errors}, status=422)


@api.exception_handler(ApiValidationError)
def invalid(request, exc):
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(StaleDemandError)
def stale(request, exc):
    return api.create_response(request, {"detail": exc.messages[0]}, status=409)


@api.exception_handler(OverflowError)
def overflow(request, exc):
    """An id or number beyond the database's 64-bit integers (SQLite refuses to bind it)."""
    detail = [{"loc": ["body"], "msg": _("数值超出允许范围。"), "type": "value_error.overflow"}]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(ValidationError)
def django_invalid(request, exc):
    return api.create_response(request, {"detail": validation_errors(exc)}, status=422)


def _mount():
    from qiservice.accounts.api import router as accounts_router
    from qiservice.assessments.api import router as assessments_router
    from qiservice.complaints.api import router as complaints_router
    from qiservice.demands.api import router as demands_router
    from qiservice.demands.api_cases import router as cases_router
    from qiservice.demands.api_tasks import router as tasks_router
    from qiservice.documents.api import router as documents_router
    from qiservice.enterprises.api import router as enterprises_router
    from qiservice.evaluations.api import router as evaluations_router
    from qiservice.exports.api import router as exports_router
    from qiservice.imports.api import router as imports_router
    from qiservice.institutions.api import router as institutions_router
    from qiservice.portal.api import router as portal_router
    from qiservice.public.api import router as public_router
    from qiservice.reports.api import router as reports_router
    from qiservice.specialists.api import router as specialists_router

    api.add_router("/", accounts_router)
    api.add_router("/enterprises", enterprises_router)
    api.add_router("/institutions", institutions_router)
    api.add_router("/specialists", specialists_router)
    api.add_router("/demands", demands_router)
    api.add_router("/tasks", tasks_router)
    api.add_router("/cases", cases_router)
    api.add_router("/evaluations", evaluations_router)
    api.add_router("/documents", documents_router)
    api.add_router("/exports", exports_router)
    api.add_router("/imports", imports_router)
    api.add_router("/reports", reports_router)
    api.add_router("/assessments", assessments_router)
    api.add_router("/public", public_router)
    api.add_router("/portal", portal_router)
    api.add_router("/complaints", complaints_router)


_mount()
