from rest_framework.routers import SimpleRouter

from territory.api.views import TerritoryViewSet

router = SimpleRouter(trailing_slash=True)
router.register("territories", TerritoryViewSet, basename="territory")
urlpatterns = router.urls
