from django.urls import path

from . import views

app_name = "specialists"
urlpatterns = [
    path("", views.SpecialistListView.as_view(), name="list"),
    path("new/", views.SpecialistEditView.as_view(), name="create"),
    path("<int:pk>/", views.SpecialistDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.SpecialistEditView.as_view(), name="edit"),
    path("<int:pk>/status/", views.SpecialistStatusView.as_view(), name="status"),
]
