from django.urls import path

from lianban.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("guide/<slug:code>/", views.guide, name="guide"),
    path("guide/<slug:code>/notice/", views.notice, name="notice"),
    path("guide/<slug:code>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("prefs/text-size/", views.text_size, name="text_size"),
    path("track/", views.track, name="track"),
    path("track/<str:number>/", views.track, name="track_number"),
]
