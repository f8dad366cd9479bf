from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("institutions/", views.institution_list, name="institution_list"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution_detail"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/file/", views.policy_file, name="policy_file"),
    path("register/", views.register, name="register"),
    path("pending/", views.pending, name="pending"),
    path("accounts/", views.verification_queue, name="verification_queue"),
    path("accounts/<int:pk>/approve/", views.approve_request, name="approve_request"),
    path("accounts/<int:pk>/reject/", views.reject_request, name="reject_request"),
    path("accounts/<int:pk>/revoke/", views.revoke_request, name="revoke_request"),
    path("manage/policies/", views.PolicyManageListView.as_view(), name="policy_manage_list"),
    path("manage/policies/new/", views.PolicyEditView.as_view(), name="policy_create"),
    path("manage/policies/<int:pk>/", views.PolicyManageDetailView.as_view(), name="policy_manage_detail"),
    path("manage/policies/<int:pk>/edit/", views.PolicyEditView.as_view(), name="policy_edit"),
]
