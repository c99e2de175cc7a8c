"""Indicator routes: /indicators/ (signed in) and /public/ (anonymous, snapshots only)."""

from django.urls import path

from maps.indicators import views

dashboard_patterns = [
    path("", views.default_dashboard, name="default"),
    path("<slug:level>/<str:code>/", views.dashboard, name="dashboard"),
    path(
        "<slug:level>/<str:code>/<slug:table>.<slug:fmt>",
        views.dashboard_download,
        name="download",
    ),
]
public_patterns = [
    path("", views.public_index, name="index"),
    path("method/", views.method, name="method"),
    path("schema.json", views.public_schema, name="schema"),
    path("indicators.csv", views.public_csv, name="csv"),
    path("indicators.json", views.public_json, name="json"),
    path("<str:day>/indicators.csv", views.public_csv, name="csv-dated"),
    path("<str:day>/indicators.json", views.public_json, name="json-dated"),
]
