"""Intervention pages, mounted at /interventions/ by config/urls.py."""

from django.urls import path

from interventions import views

app_name = "interventions"
urlpatterns = [
    path("", views.intervention_list, name="list"),
    path("new/", views.intervention_create, name="create"),
    path("export/", views.intervention_export, name="export"),
    path("overdue/", views.overdue_reports, name="overdue"),
    path("<int:pk>/", views.intervention_detail, name="detail"),
    path("<int:pk>/edit/", views.intervention_update, name="update"),
    path("<int:pk>/report/", views.intervention_report, name="report"),
    path("<int:pk>/funding/", views.intervention_funding, name="funding"),
    path("<int:pk>/close/", views.intervention_close, name="close"),
    path("<int:pk>/notes/", views.intervention_note, name="note"),
    path("<int:pk>/follow/", views.intervention_follow, name="follow"),
    path("sites/<int:pk>/presence/", views.site_presence, name="site-presence"),
    path("sites/<int:pk>/follow/", views.site_follow, name="site-follow"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
