"""The official forms in the API: the same bytes as the web downloads, token or session
auth like the rest of the API. Every download is audited."""

from ninja import Router
from ninja.errors import HttpError

from qiservice.api.common import Error

from . import services
from .views import file_response

router = Router(tags=["正式表单文档"])

FILE_RESPONSES = {
    "200": {
        "description": "表单文件（docx 为 Word 文档，pdf 为 PDF），作为附件下载",
        "content": {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                "schema": {"type": "string", "format": "binary"}
            },
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.get(
    "/demands/{int:demand_id}/{form}.{fmt}",
    response={403: Error, 404: Error},
    summary="下载需求的正式表单",
    description=(
        "form：registration 需求登记表（附录A）/ ledger 工作台账（附录B）/ evaluation 满意度评价表（附录C，已评价）/ "
        "summary 工作总结 / case 典型案例（企业名称脱敏）；fmt：docx 或 pdf。需求不在您的数据范围内为 404；"
        "工作台账仅管理机构、审计、承办的服务专员和已接单的技术机构可下载，其他人为 403；"
        "表单内容尚不存在（如未提交总结）为 404 并说明原因。每次下载记入审计日志。"
    ),
    openapi_extra={"responses": FILE_RESPONSES},
)
def demand_form(request, demand_id: int, form: str, fmt: str):
    demand = services.load(request.user, demand_id)
    try:
        data, filename, content_type = services.download(request.user, demand, form, fmt, via="api")
    except services.MissingContent as error:
        raise HttpError(404, error.message) from None
    return file_response(data, filename, content_type, f"{form}-{demand.number}.{fmt}")


@router.get(
    "/blank/{form}.{fmt}",
    response={404: Error},
    summary="下载空白表单",
    description=(
        "供纸质登记与评价使用的空白表：form 为 registration（需求登记表）或 evaluation（满意度评价表）；"
        "fmt 为 docx 或 pdf。"
    ),
    openapi_extra={"responses": FILE_RESPONSES},
)
def blank_form(request, form: str, fmt: str):
    try:
        data, filename, content_type = services.download_blank(request.user, form, fmt, via="api")
    except services.MissingContent as error:
        raise HttpError(404, error.message) from None
    return file_response(data, filename, content_type, f"{form}-blank.{fmt}")
