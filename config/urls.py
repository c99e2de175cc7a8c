from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from actors import views as actor_views
from maps.indicators.urls import dashboard_patterns, public_patterns
from maps.views import api_docs, favicon, healthz, home, legal_page
from sites.urls import accessibility_patterns, report_patterns, site_patterns

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path(
        "legal/accessibility/", legal_page("accessibility"), name="legal-accessibility"
    ),
    path("legal/notice/", legal_page("notice"), name="legal-notice"),
    path("legal/privacy/", legal_page("privacy"), name="legal-privacy"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("actors.urls")),
    path("directory/", actor_views.directory, name="directory"),
    path("sites/", include((site_patterns, "sites"))),
    path("reports/", include((report_patterns, "reports"))),
    path("", include(accessibility_patterns)),
    path("interventions/", include("interventions.urls")),
    path("api/v1/", include("territory.api.urls")),
    path("api/v1/", include("actors.api.urls")),
    path("api/v1/", include("sites.api.urls")),
    path("tiles/", include("maps.urls")),
    path("ogc/", include("maps.ogc.urls")),
    path("api/v1/", include("interventions.api.urls")),
    path("indicators/", include((dashboard_patterns, "indicators"))),
    path("public/", include((public_patterns, "public"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
]
