from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_security

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        views.LoginView.as_view(),
        name="login",
    ),
    path("login/totp/", views.login_totp, name="login_totp"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views_security.password_change, name="password_change"),
    path("account/", views_security.account, name="account"),
    path("account/totp/", views_security.totp_setup, name="totp_setup"),
    path("account/totp/disable/", views_security.totp_disable, name="totp_disable"),
    path("account/history/", views_security.login_history, name="login_history"),
    path("security/", views_security.security_overview, name="security"),
    path("security/users/<int:pk>/", views_security.security_user, name="security_user"),
    path("security/users/<int:pk>/reset-totp/", views_security.security_reset_totp, name="security_reset_totp"),
    path("security/locks/<int:pk>/unlock/", views_security.security_unlock, name="security_unlock"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
]
