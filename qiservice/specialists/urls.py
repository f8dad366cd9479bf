from django.urls import path

from . import views, views_matching, views_training

app_name = "specialists"
urlpatterns = [
    path("", views.SpecialistListView.as_view(), name="list"),
    path("new/", views.SpecialistEditView.as_view(), name="create"),
    path("picker/", views.picker, name="picker"),
    path("<int:pk>/", views.SpecialistDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.SpecialistEditView.as_view(), name="edit"),
    path("<int:pk>/status/", views.SpecialistStatusView.as_view(), name="status"),
    path("training/", views_training.TrainingListView.as_view(), name="training_list"),
    path("training/new/", views_training.TrainingEditView.as_view(), name="training_create"),
    path("training/hours/", views_training.training_hours, name="training_hours"),
    path("training/<int:pk>/", views_training.training_detail, name="training_detail"),
    path("training/<int:pk>/edit/", views_training.TrainingEditView.as_view(), name="training_edit"),
    path("rules/", views_training.pool_rules, name="rules"),
    path("rules/edit/", views_training.pool_rules_edit, name="rules_edit"),
    path("match/<int:demand_pk>/", views_matching.suggestions, name="match"),
    path("match/<int:demand_pk>/assign/<int:specialist_pk>/", views_matching.assign_suggested, name="assign_suggested"),
    path("match/<int:demand_pk>/institutions/", views_matching.institution_suggestions, name="match_institutions"),
    path("matching/weights/", views_matching.weights, name="weights"),
]
