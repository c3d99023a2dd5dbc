import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_wsgi_application()

from perscom_oauth.checks import check_at_startup  # noqa: E402 (needs the settings above)

# A lost key-encryption key stops the start (gunicorn, runserver) instead of failing requests.
check_at_startup()
