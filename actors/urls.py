from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import TemplateView

from actors import views

app_name = "actors"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("request/", views.request_access, name="request-access"),
    path("request/verify/<str:token>/", views.verify_request, name="verify-request"),
    path("requests/", views.request_queue, name="request-queue"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("charter/", views.charter, name="charter"),
    path("grants/", views.grants, name="grants"),
    path("audit/", views.audit_log, name="audit"),
    path("grants/<int:pk>/revoke/", views.revoke, name="revoke-grant"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path(
        "password/reset/sent/",
        TemplateView.as_view(template_name="actors/password_reset_sent.html"),
        name="password-reset-sent",
    ),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password-change"),
    path(
        "password/set/<uidb64>/<token>/",
        views.PasswordSetView.as_view(),
        name="password-set",
    ),
]
