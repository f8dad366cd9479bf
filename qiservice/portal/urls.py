from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("demands/new/", views.submit, name="submit"),
    path("demands/<int:pk>/", views.demand_detail, name="demand"),
    path("demands/<int:pk>/submitted/", views.submitted, name="submitted"),
    path("demands/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("demands/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("demands/<int:pk>/messages/", views.post_message, name="message"),
    path("demands/<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    # The service side answers from the staff demand page (the partial of templatetags/portal.py).
    path("service/demands/<int:pk>/messages/", views.service_reply, name="service_reply"),
    path("service/demands/<int:pk>/messages/read/", views.service_read, name="service_read"),
]
