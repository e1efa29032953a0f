from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "lianban.reviews"
    verbose_name = "好差评"
