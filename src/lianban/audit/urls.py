from django.urls import path

from lianban.audit import views

app_name = "audit"

urlpatterns = [
    path("applications/<int:pk>/", views.application_trail, name="application"),
]
