from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "lianban.sharing"
    verbose_name = "信息共享"

    def ready(self) -> None:
        # A result returned to the window enters the directory as an e-licence in the same
        # transaction (see sharing.services.enter_licences).
        from lianban.audit.services import on_events
        from lianban.sharing.services import enter_licences

        on_events(enter_licences)
