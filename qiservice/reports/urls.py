from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("report.docx", views.export_docx, name="report_docx"),
]
