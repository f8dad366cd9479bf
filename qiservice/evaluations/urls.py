from django.urls import path

from . import views

app_name = "evaluations"
urlpatterns = [
    path("demand/<int:pk>/qr.svg", views.QrCodeView.as_view(), name="qr"),
    path("demand/<int:pk>/reissue/", views.ReissueView.as_view(), name="reissue"),
    path("demand/<int:pk>/portal/", views.PortalEvaluationView.as_view(), name="portal"),
    path("demand/<int:pk>/paper/", views.PaperEvaluationView.as_view(), name="paper"),
    # Last: a token is any string of the signer's alphabet.
    path("<str:token>/", views.PublicEvaluationView.as_view(), name="public"),
]
