from django.contrib import admin
from django.urls import include, path

from lianban.accounts.forms import AdminSignInForm
from lianban.api.main import api

admin.site.login_form = AdminSignInForm  # the same login throttling as the site's
admin.site.site_header = "联办 · 管理后台"
admin.site.site_title = "联办"
admin.site.index_title = "一件事一次办联办平台"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("lianban.accounts.urls")),
    path("applications/", include("lianban.applications.urls")),
    path("window/", include("lianban.window.urls")),
    path("workbench/", include("lianban.workbench.urls")),
    path("verify/", include("lianban.signing.urls")),
    path("trail/", include("lianban.audit.urls")),
    path("integration/", include("lianban.integration.urls")),
    path("sharing/", include("lianban.sharing.urls")),
    path("supervision/", include("lianban.supervision.urls")),
    path("reviews/", include("lianban.reviews.urls")),
    path("proposals/", include("lianban.proposals.urls")),
    path("", include("lianban.portal.urls")),
]

handler400 = "lianban.errors.bad_request"
handler403 = "lianban.errors.forbidden"
handler404 = "lianban.errors.not_found"
handler500 = "lianban.errors.server_error"
