from django.urls import path
from rest_framework.routers import SimpleRouter

from sites.api.accessibility import (
    AccessibilityPointViewSet,
    ParkingRulesView,
    RestrictedZoneViewSet,
)
from sites.api.site import SiteViewSet

router = SimpleRouter(trailing_slash=True)
router.register("sites", SiteViewSet, basename="site")
router.register(
    "accessibility-points", AccessibilityPointViewSet, basename="accessibility-point"
)
router.register("restricted-zones", RestrictedZoneViewSet, basename="restricted-zone")
urlpatterns = [
    path(
        "communes/<str:code>/parking-rules",
        ParkingRulesView.as_view(),
        name="parking-rules",
    ),
    *router.urls,
]
