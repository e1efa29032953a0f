from django.urls import path

from lianban.applications import applicant_views as pages
from lianban.applications import views

app_name = "applications"

urlpatterns = [
    path("", pages.my_applications, name="mine"),
    path("start/<slug:code>/", pages.start, name="start"),
    path("<int:pk>/", pages.detail, name="detail"),
    path("<int:pk>/save/", pages.save, name="save"),
    path("<int:pk>/upload/", pages.upload, name="upload"),
    path("<int:pk>/withdraw/", pages.withdraw, name="withdraw"),
    path("<int:pk>/delivery/", pages.choose_delivery, name="delivery"),
    path("<int:pk>/results/<int:doc_id>/", pages.result_file, name="result_file"),
    path("<int:pk>/materials/<int:file_id>/", views.material_file, name="material_file"),
    path("<int:pk>/notices/<int:notice_id>/", views.notice_pdf, name="notice_pdf"),
]
