from django.urls import path

from lianban.workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<int:pk>/", views.case, name="case"),
    path("cases/<int:pk>/accept/", views.accept, name="accept"),
    path("cases/<int:pk>/refuse/", views.refuse, name="refuse"),
    path("cases/<int:pk>/supplement/", views.request_supplement, name="request_supplement"),
    path("cases/<int:pk>/suspend/", views.suspend, name="suspend"),
    path("cases/<int:pk>/resume/", views.resume, name="resume"),
    path("cases/<int:pk>/extend/", views.extend, name="extend"),
    path("cases/<int:pk>/decide/", views.decide, name="decide"),
    path("cases/<int:pk>/return/", views.return_result, name="return_result"),
    path("cases/<int:pk>/materials/<int:file_id>/", views.material_file, name="material_file"),
    path("cases/<int:pk>/results/<int:doc_id>/", views.result_file, name="result_file"),
]
