from django.urls import path

from . import views

app_name = "deadlines"
urlpatterns = [
    path("", views.SettingsView.as_view(), name="settings"),
    path("policies/<int:pk>/", views.PolicyEditView.as_view(), name="policy_edit"),
    path("calendar/new/", views.HolidayEditView.as_view(), name="holiday_create"),
    path("calendar/<int:pk>/", views.HolidayEditView.as_view(), name="holiday_edit"),
]
