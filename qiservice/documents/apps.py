from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "qiservice.documents"
    label = "documents"
    verbose_name = _("正式表单文档")
