from django.urls import path

from lianban.window import views

app_name = "window"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new, name="new"),
    path("new/<slug:code>/", views.take, name="take"),
    path("applications/<int:pk>/", views.review, name="review"),
    path("applications/<int:pk>/save/", views.save, name="save"),
    path("applications/<int:pk>/upload/", views.upload, name="upload"),
    path("applications/<int:pk>/verdict/", views.verdict, name="verdict"),
    path("applications/<int:pk>/receive/", views.receive, name="receive"),
    path("applications/<int:pk>/correction/", views.correction, name="correction"),
    path("applications/<int:pk>/conditional/", views.conditional, name="conditional"),
    path("applications/<int:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("applications/<int:pk>/fulfil/", views.fulfil, name="fulfil"),
    path("applications/<int:pk>/notices/<int:notice_id>/", views.notice, name="notice"),
    path("applications/<int:pk>/delivery/", views.choose_delivery, name="delivery"),
    path("applications/<int:pk>/deliver/", views.deliver, name="deliver"),
    path("applications/<int:pk>/results/<int:doc_id>/", views.result, name="result"),
]
