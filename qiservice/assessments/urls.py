from django.urls import path

from . import views

app_name = "assessments"

urlpatterns = [
    path("", views.period_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("weights/", views.weights, name="weights"),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("periods/<int:pk>/", views.period_detail, name="period"),
    path("periods/<int:pk>/recompute/", views.period_recompute, name="recompute"),
    path("periods/<int:pk>/advance/", views.period_advance, name="advance"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/score/", views.assessment_score, name="score"),
    path("<int:pk>/acknowledge/", views.assessment_acknowledge, name="acknowledge"),
    path("<int:pk>/actions/", views.assessment_add_action, name="add_action"),
    path("demand/<int:pk>/return-visit/", views.return_visit, name="return_visit"),
]
