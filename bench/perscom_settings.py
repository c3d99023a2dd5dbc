"""perscom-oauth's side of the benchmark: the demo project, on the production password hasher."""

from project.settings import *  # noqa: F403

ALLOWED_HOSTS = ["*"]
DEBUG = False
DATABASES["default"]["TEST"] = (  # noqa: F405
    {"NAME": "bench_perscom"} if "sqlite" not in DATABASES["default"]["ENGINE"] else {}  # noqa: F405
)
