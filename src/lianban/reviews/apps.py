from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "lianban.reviews"
    verbose_name = "好差评"

    def ready(self) -> None:
        from lianban.audit.services import on_event
        from lianban.reviews.services import on_audit_event

        # Invitations follow the steps that earn them, inside their transactions.
        on_event(on_audit_event)
