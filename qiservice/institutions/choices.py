from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionKind(models.TextChoices):
    METROLOGY_INSTITUTE = "metrology_institute", _("计量技术机构")
    STANDARDS_INSTITUTE = "standards_institute", _("标准化研究机构")
    TESTING_LAB = "testing_lab", _("检验检测机构")
    CERTIFICATION_BODY = "certification_body", _("认证机构")
    QUALITY_SERVICE = "quality_service", _("质量管理服务机构")
    OTHER = "other", _("其他")
