"""OGC API - Features routes, mounted at /ogc/ by config/urls.py."""

from django.urls import path

from maps.ogc import views

app_name = "ogc"
urlpatterns = [
    path("", views.LandingView.as_view(), name="landing"),
    path("conformance", views.ConformanceView.as_view(), name="conformance"),
    path("collections", views.CollectionsView.as_view(), name="collections"),
    path("collections/<slug:collection_id>", views.CollectionView.as_view(), name="collection"),
    path("collections/<slug:collection_id>/items", views.ItemsView.as_view(), name="items"),
    path("collections/<slug:collection_id>/items/<str:fid>", views.ItemView.as_view(), name="item"),
]  # fmt: skip
