"""``manage.py check --deploy`` passes on our defaults and on the demo's production-style settings
(issue 20, item 1). Before, OAUTH2_PROVIDER_DEFAULTS paired checksum token storage with the base
library's refresh-token grace period, and its check oauth2_provider.E001 stopped every deploy."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from perscom_oauth.defaults import OAUTH2_PROVIDER_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent


def test_the_defaults_pass_the_base_librarys_deploy_checks(settings: Any) -> None:
    settings.OAUTH2_PROVIDER = {**OAUTH2_PROVIDER_DEFAULTS}
    try:
        call_command("check", deploy=True, tags=["security"], fail_level="ERROR", stdout=io.StringIO())
    except SystemCheckError as error:  # pragma: no cover - the failure's message is the point
        pytest.fail(str(error))


@pytest.mark.parametrize("script", [False, True], ids=["manage.py", ".ci/deploy_check.sh"])
def test_production_settings_pass_check_deploy_with_no_warning(script: bool) -> None:
    """The demo's production settings, as CI checks them: not one warning left unexplained."""
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_SETTINGS_MODULE": "project.settings_production",
        "PYTHON": sys.executable,
    }
    env.pop("DATABASE_URL", None)  # the check never connects; keep it off the test database
    if script:
        command = ["bash", ".ci/deploy_check.sh"]
    else:
        command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "project.settings_production"
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY" in done.stderr
