from django.urls import path

from sites import views

app_name = "sites"
urlpatterns = [
    path("", views.site_list, name="list"),
    path("new/", views.site_create, name="create"),
    path("<int:pk>/", views.site_detail, name="detail"),
    path("<int:pk>/edit/", views.site_update, name="update"),
    path("<int:pk>/close/", views.site_close, name="close"),
    path("<int:pk>/notes/", views.site_note, name="note"),
    path("<int:pk>/procedures/", views.site_procedure, name="procedure"),
]
