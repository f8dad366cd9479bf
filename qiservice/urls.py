from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from qiservice.api.api import api
from qiservice.core.audit_views import AuditLogListView

admin.site.site_header = settings.SITE_TITLE
admin.site.site_title = settings.SITE_TITLE

urlpatterns = [
    path("", include("qiservice.accounts.urls")),
    path("enterprises/", include("qiservice.enterprises.urls")),
    path("institutions/", include("qiservice.institutions.urls")),
    path("specialists/", include("qiservice.specialists.urls")),
    path("demands/", include("qiservice.demands.urls")),
    path("e/", include("qiservice.evaluations.urls")),
    path("deadlines/", include("qiservice.deadlines.urls")),
    path("inbox/", include("qiservice.notifications.urls")),
    path("documents/", include("qiservice.documents.urls")),
    path("exports/", include("qiservice.exports.urls")),
    path("imports/", include("qiservice.imports.urls")),
    path("reports/", include("qiservice.reports.urls")),
    path("assessments/", include("qiservice.assessments.urls")),
    path("public/", include("qiservice.public.urls")),
    path("portal/", include("qiservice.portal.urls")),
    path("complaints/", include("qiservice.complaints.urls")),
    path("audit/", AuditLogListView.as_view(), name="auditlog"),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # The admin signs in through the platform's login (lockout, TOTP), never its own form.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="admin_login"),
    path("admin/", admin.site.urls),
]
