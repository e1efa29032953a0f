from django.urls import path

from lianban.proposals import views

app_name = "proposals"

urlpatterns = [
    path("", views.accepted_list, name="list"),
    path("new/", views.new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("manage/", views.manage, name="manage"),
    path("manage/<str:number>/", views.triage, name="triage"),
    path("requests/", views.requests, name="requests"),
    path("<str:number>/", views.detail, name="detail"),
]
