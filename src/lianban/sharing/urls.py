from django.urls import path

from lianban.sharing import views

app_name = "sharing"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("applications/<int:pk>/consent/", views.consent, name="consent"),
    path("applications/<int:pk>/consent/revoke/", views.revoke, name="revoke"),
    path("my/", views.my_reads, name="my_reads"),
    path("cases/<int:pk>/", views.case_data, name="case"),
    path("log/", views.access_log, name="access_log"),
]
