from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from actors import views as actor_views
from maps.views import healthz, home
from sites import accessibility_views

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("actors.urls")),
    path("directory/", actor_views.directory, name="directory"),
    path("sites/", include("sites.urls")),
    path("reports/", include("sites.report_urls")),
    path("communes/<str:code>/", accessibility_views.commune_page, name="commune"),
    path(
        "accessibility/import/",
        accessibility_views.import_points_view,
        name="points-import",
    ),
    path(
        "accessibility/points/<int:pk>/status/",
        accessibility_views.point_status,
        name="point-status",
    ),
    path("api/v1/", include("territory.api.urls")),
    path("api/v1/", include("actors.api.urls")),
    path("api/v1/", include("sites.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
