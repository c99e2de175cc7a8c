"""Map data routes, mounted under /tiles/ by config/urls.py."""

from django.urls import path

from maps.api.views import TileJsonView, TileView

app_name = "maps"
urlpatterns = [
    path("<slug:layer>/<int:z>/<int:x>/<int:y>.pbf", TileView.as_view(), name="tile"),
    path("<slug:layer>.json", TileJsonView.as_view(), name="tilejson"),
]
