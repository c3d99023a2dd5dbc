"""The WSGI entry point gunicorn serves for either side of bench/e2e.py (DJANGO_SETTINGS_MODULE set)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
