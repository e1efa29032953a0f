from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "lianban.reviews"
    verbose_name = "好差评"

    def ready(self) -> None:
        from lianban.audit.services import on_events
        from lianban.reviews.services import on_audit_events

        # Invitations follow the steps that earn them, inside their transactions.
        on_events(on_audit_events)
