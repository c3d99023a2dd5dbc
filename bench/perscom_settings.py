"""perscom-oauth's side of the benchmark: the demo project, on the production password hasher."""

import os

from project.settings import *  # noqa: F403

ALLOWED_HOSTS = ["*"]
DEBUG = False
DATABASES["default"]["TEST"] = (  # noqa: F405
    {"NAME": "bench_perscom"} if "sqlite" not in DATABASES["default"]["ENGINE"] else {}  # noqa: F405
)
# gunicorn's sync workers have one thread each: persistent connections, as docs/deployment.md
# recommends (the demo's default, 0, is for threaded runserver, which sets it explicitly).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DJANGO_CONN_MAX_AGE", "60"))  # noqa: F405
