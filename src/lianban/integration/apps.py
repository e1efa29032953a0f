from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "lianban.integration"
    verbose_name = "系统接入"

    def ready(self) -> None:
        # Every case event that a department system subscribes to becomes an outbox row in
        # the same transaction as the change (see integration.outbox).
        from lianban.audit.services import on_events
        from lianban.integration.nodes import route_dispatched_cases
        from lianban.integration.outbox import enqueue_for_events

        on_events(enqueue_for_events)
        # A dispatched case of a department routed to an upstream node is forwarded there.
        on_events(route_dispatched_cases)
