from django.contrib.auth.views import LogoutView
from django.urls import include, path

from lianban.accounts import oidc_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="/"), name="logout"),
    path("register/", views.register, name="register"),
    # 一次登录 (OpenID Connect); the views answer 404 unless a provider is configured.
    path("oidc/", include(oidc_views.urlpatterns)),
]
