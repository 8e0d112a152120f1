"""WSGI entry point: ``gunicorn plusone.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

from plusone.web.startup import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plusone.settings")
application = get_wsgi_application()
# Loaded once per worker: what is alive now lives as long as the worker (web/startup.py).
settle()
