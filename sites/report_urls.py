from django.urls import path

from sites import report_views

app_name = "reports"
urlpatterns = [
    path("", report_views.report_queue, name="queue"),
    path("new/", report_views.report_new, name="new"),
    path("thanks/", report_views.report_thanks, name="thanks"),
    path("<int:pk>/", report_views.report_detail, name="detail"),
]
