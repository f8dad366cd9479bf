from django.urls import path

from . import lists, views

app_name = "exports"

urlpatterns = [
    path("jobs/", views.JobListView.as_view(), name="jobs"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job"),
    path("jobs/<int:pk>/file/", views.JobDownloadView.as_view(), name="job_file"),
    path("ledger/", lists.LedgerListView.as_view(), name="ledger_list"),
    path("evaluations/", lists.EvaluationListView.as_view(), name="evaluation_list"),
    path("<slug:name>.xlsx", views.ExportView.as_view(), name="export"),
]
