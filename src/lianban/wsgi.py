import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianban.settings")
application = get_wsgi_application()

# Ready before the first request: see lianban.common.warmup.
if os.environ.get("LIANBAN_WARM_UP", "true").lower() not in ("0", "false", "no"):
    from lianban.common.warmup import warm_up

    warm_up()
