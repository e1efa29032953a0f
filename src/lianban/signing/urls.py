from django.urls import path

from lianban.signing import views

app_name = "signing"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("ca.crt", views.ca_certificate, name="ca"),
    path("register/", views.register, name="register"),
    path("<str:number>/", views.document, name="document"),
    path("<str:number>/revoke/", views.revoke, name="revoke"),
]
