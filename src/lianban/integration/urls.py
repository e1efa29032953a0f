from django.urls import path

from lianban.integration import views

app_name = "integration"

urlpatterns = [
    path("", views.clients, name="clients"),
    path("clients/new/", views.client_new, name="client_new"),
    path("clients/<int:pk>/", views.client, name="client"),
    path("clients/<int:pk>/scopes/", views.client_scopes, name="client_scopes"),
    path("clients/<int:pk>/rotate/", views.client_rotate, name="client_rotate"),
    path("clients/<int:pk>/revoke/", views.client_revoke, name="client_revoke"),
    path(
        "clients/<int:pk>/credentials/<int:credential_id>/revoke/",
        views.credential_revoke,
        name="credential_revoke",
    ),
    path(
        "clients/<int:pk>/subscriptions/<int:subscription_id>/disable/",
        views.subscription_disable,
        name="subscription_disable",
    ),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/", views.delivery, name="delivery"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery_resend"),
]
