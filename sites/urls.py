"""Every page of the app, one list per domain; config/urls.py mounts them."""

from django.urls import path

from sites.views import accessibility, export, report, site, site_import

site_patterns = [
    path("", site.site_list, name="list"),
    path("new/", site.site_create, name="create"),
    path("import/", site_import.import_sites_view, name="import"),
    path("import/runs/<int:pk>/", site_import.site_import_run, name="import-run"),
    path("<int:pk>/", site.site_detail, name="detail"),
    path("<int:pk>/edit/", site.site_update, name="update"),
    path("<int:pk>/close/", site.site_close, name="close"),
    path("<int:pk>/notes/", site.site_note, name="note"),
    path("<int:pk>/procedures/", site.site_procedure, name="procedure"),
    path("exports/", export.export_list, name="exports"),
    path("exports/<int:pk>/", export.export_status, name="export"),
    path("exports/<int:pk>/download/", export.export_download, name="export-download"),
]

report_patterns = [
    path("", report.report_queue, name="queue"),
    path("new/", report.report_new, name="new"),
    path("thanks/", report.report_thanks, name="thanks"),
    path("<int:pk>/", report.report_detail, name="detail"),
]

accessibility_patterns = [
    path("communes/<str:code>/", accessibility.commune_page, name="commune"),
    path("communes/<str:code>/zones/new/", accessibility.zone_edit, name="zone-new"),
    path(
        "communes/<str:code>/zones/<int:pk>/",
        accessibility.zone_edit,
        name="zone-edit",
    ),
    path(
        "accessibility/import/", accessibility.import_points_view, name="points-import"
    ),
    path(
        "accessibility/import/runs/<int:pk>/",
        accessibility.points_import_run,
        name="points-import-run",
    ),
    path(
        "accessibility/points/<int:pk>/status/",
        accessibility.point_status,
        name="point-status",
    ),
]
