from django.contrib import admin
from django.urls import include, path

from lianban.api.main import api

admin.site.site_header = "联办 · 管理后台"
admin.site.site_title = "联办"
admin.site.index_title = "一件事一次办联办平台"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("lianban.accounts.urls")),
    path("applications/", include("lianban.applications.urls")),
    path("window/", include("lianban.window.urls")),
    path("", include("lianban.portal.urls")),
]
