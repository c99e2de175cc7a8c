from rest_framework.routers import SimpleRouter

from interventions.api.views import InterventionViewSet

router = SimpleRouter(trailing_slash=True)
router.register("interventions", InterventionViewSet, basename="intervention")
urlpatterns = router.urls
