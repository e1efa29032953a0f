import os

from django.core.wsgi import get_wsgi_application

from lianban.conf import env_bool

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianban.settings")
application = get_wsgi_application()

if env_bool("LIANBAN_WARM_UP"):
    # Ready before the first request: see lianban.common.warmup.
    from lianban.common.warmup import warm_up

    warm_up()
