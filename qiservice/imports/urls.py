from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("templates/<str:kind>.xlsx", views.template, name="template"),
    path("<str:kind>/upload/", views.upload, name="upload"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="progress"),
    path("jobs/<int:pk>/report.xlsx", views.job_report, name="report"),
    path("jobs/<int:pk>/commit/", views.job_commit, name="commit"),
]
