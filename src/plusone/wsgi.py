"""WSGI entry point: ``gunicorn plusone.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plusone.settings")
application = get_wsgi_application()
