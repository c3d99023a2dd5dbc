"""This suite runs in its own process, with its own settings module (the example's tenant model
swapped in): ``tests/test_docs_examples.py`` starts it. The main suite, whose settings lack the
example's app, leaves these files alone."""

from __future__ import annotations

from django.conf import settings

collect_ignore_glob = [] if "docs.examples.tenants" in settings.INSTALLED_APPS else ["test_*.py"]
