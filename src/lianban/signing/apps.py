from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "lianban.signing"
    verbose_name = "电子印章与签名"

    def ready(self) -> None:
        from lianban.signing import checks  # noqa: F401  (registers the deploy check)
