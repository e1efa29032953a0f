from django.urls import path

from lianban.reviews import views

app_name = "reviews"

urlpatterns = [
    path("r/<str:token>/", views.rate_by_link, name="rate_by_link"),
    path("f/<str:token>/", views.feedback_by_link, name="feedback_by_link"),
    path("applications/<int:pk>/", views.application_reviews, name="application"),
    path("occasions/<int:pk>/rate/", views.rate_in_portal, name="rate"),
    path("reviews/<int:pk>/supplement/", views.supplement, name="supplement"),
    path("window/", views.window_screen, name="window"),
    path("window/current/", views.window_current, name="window_current"),
    path("window/rate/", views.window_rate, name="window_rate"),
    path("followups/", views.followup_list, name="followups"),
    path("followups/<int:pk>/", views.followup_detail, name="followup"),
    path("followups/<int:pk>/act/", views.followup_act, name="followup_act"),
    path("stats/", views.statistics, name="stats"),
]
