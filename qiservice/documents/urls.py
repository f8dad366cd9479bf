from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("demand/<int:pk>/<slug:form>.<slug:fmt>", views.demand_form, name="demand_form"),
    path("blank/<slug:form>.<slug:fmt>", views.blank_form, name="blank_form"),
]
