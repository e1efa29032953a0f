from django.urls import path

from lianban.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.drill, name="drill"),
    path("warnings/<str:light>/", views.warnings, name="warnings"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("bulletins/", views.bulletins, name="bulletins"),
    path("bulletins/<int:pk>.pdf", views.bulletin_pdf, name="bulletin_pdf"),
]
