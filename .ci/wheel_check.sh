#!/usr/bin/env bash
# The package as people install it: build the sdist and, from it, the wheel (as `python -m build`
# does); check both carry every file of perscom_oauth/; install the *wheel* (not the checkout)
# into a fresh venv with the pinned runtime dependencies; then run tests/host_install's project
# the way production runs it (DEBUG=False, ManifestStaticFilesStorage after collectstatic) and
# open each of our admin pages as a superuser, and run the README's install guide
# (tests/host_install/test_install_guide.py). A static file missing from the wheel makes the
# pages that use it answer 500.
#
# Usage: bash .ci/wheel_check.sh      (PYTHON=python3.13 to check another interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
PIP_QUIET=(--disable-pip-version-check --no-input -q)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/perscom-wheel-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
started=$SECONDS
failed=0
step() { echo "wheel-check: $*"; }
fail() { echo "wheel-check: FAIL: $*" >&2; exit 1; }  # for what the later checks cannot do without

# 1. Build from a copy of the working tree (tracked and new files, nothing git ignores), so the
#    build's by-products (build/, *.egg-info) never land in the checkout.
mkdir "$TMP/src"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$TMP/src"
"$PYTHON" -m venv "$TMP/build-venv"
"$TMP/build-venv/bin/pip" install "${PIP_QUIET[@]}" build >"$TMP/pip.log" 2>&1 \
    || { tail -30 "$TMP/pip.log"; fail "pip install build"; }
"$TMP/build-venv/bin/python" -m build --outdir "$TMP/dist" "$TMP/src" >"$TMP/build.log" 2>&1 \
    || { tail -30 "$TMP/build.log"; fail "python -m build"; }
wheel=$(ls "$TMP"/dist/*.whl)
sdist=$(ls "$TMP"/dist/*.tar.gz)
step "ok   built $(basename "$sdist") and $(basename "$wheel") ($((SECONDS - started))s)"

# 2. Every file under perscom_oauth/ (but bytecode) is in the sdist and in the wheel.
"$TMP/build-venv/bin/python" - "$TMP/src" "$sdist" "$wheel" <<'PY' || failed=1
import sys, tarfile, zipfile
from pathlib import Path

src, sdist, wheel = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
expected = {
    p.relative_to(src).as_posix()
    for p in (src / "perscom_oauth").rglob("*")
    if p.is_file() and p.suffix != ".pyc" and "__pycache__" not in p.parts
}
with tarfile.open(sdist) as archive:
    # perscom_oauth-X.Y.Z/perscom_oauth/... -> perscom_oauth/...
    in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if name.count("/")}
with zipfile.ZipFile(wheel) as archive:
    in_wheel = set(archive.namelist())
ok = True
for label, contents in (("sdist", in_sdist), ("wheel", in_wheel)):
    missing = sorted(expected - contents)
    if missing:
        ok = False
        print(f"wheel-check: FAIL {label} lacks {len(missing)} of {len(expected)} files under perscom_oauth/:")
        for name in missing:
            print(f"wheel-check:        {name}")
    else:
        print(f"wheel-check: ok   {label} carries all {len(expected)} files under perscom_oauth/")
for required in ("perscom_oauth/py.typed",):
    if required not in in_wheel:
        ok = False
        print(f"wheel-check: FAIL wheel lacks {required}")
sys.exit(0 if ok else 1)
PY

# 3. A fresh venv with the wheel and the runtime dependencies pinned in requirements.txt.
"$PYTHON" -m venv "$TMP/venv"
VPY="$TMP/venv/bin/python"
mapfile -t pins < <(grep -iE '^(django|django-oauth-toolkit|oauthlib|djangorestframework|dj-database-url|jwcrypto|cryptography)==' requirements.txt)
[ "${#pins[@]}" -eq 7 ] || fail "expected 7 runtime pins in requirements.txt, found: ${pins[*]}"
"$TMP/venv/bin/pip" install "${PIP_QUIET[@]}" "$wheel" "${pins[@]}" >"$TMP/pip.log" 2>&1 \
    || { tail -30 "$TMP/pip.log"; fail "pip install of the wheel"; }
step "ok   installed the wheel with ${pins[*]} ($((SECONDS - started))s)"

# 4. The host project of tests/host_install, copied out: the checkout's perscom_oauth must not be
#    importable, only the installed wheel.
RUN="$TMP/run"
mkdir -p "$RUN/tests" "$TMP/static"
cp tests/__init__.py tests/settings_support.py "$RUN/tests/"
cp -r tests/host_install "$RUN/tests/"
cp README.md "$RUN/"  # tests/host_install/test_install_guide.py runs its install section
find "$RUN" -name __pycache__ -prune -exec rm -rf {} +
cat >"$RUN/wheel_check_settings.py" <<'PY'
"""tests/host_install as production runs it: no DEBUG, hashed static files, its own database."""

import os

from tests.host_install.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
STATIC_ROOT = os.environ["WHEEL_CHECK_STATIC_ROOT"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["WHEEL_CHECK_DATABASE"]}
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PY
run() {
    (cd "$RUN" && env -u DATABASE_URL -u REDIS_URL -u PYTHONPATH -u DJANGO_SETTINGS_MODULE \
        PYTHONPATH="$RUN" PYTHONDONTWRITEBYTECODE=1 DJANGO_SETTINGS_MODULE=wheel_check_settings \
        WHEEL_CHECK_STATIC_ROOT="$TMP/static" WHEEL_CHECK_DATABASE="$TMP/db.sqlite3" "$@")
}

location=$(run "$VPY" -c 'import perscom_oauth; print(perscom_oauth.__file__)')
case "$location" in
    "$TMP/venv/lib/"*/site-packages/perscom_oauth/__init__.py) step "ok   perscom_oauth imports from the wheel: $location" ;;
    *) fail "perscom_oauth imports from $location, not from the venv's site-packages" ;;
esac
versions=$(run "$VPY" -c 'from importlib.metadata import version; import perscom_oauth
print(getattr(perscom_oauth, "__version__", "none"), version("perscom-oauth"))')
read -r module_version dist_version <<<"$versions"
if [ "$module_version" = "$dist_version" ]; then
    step "ok   version $module_version (perscom_oauth.__version__ and the metadata agree)"
else
    step "FAIL perscom_oauth.__version__ is $module_version, the metadata says $dist_version"
    failed=1
fi

run "$VPY" -m django migrate --noinput -v0 || fail "migrate"
step "ok   migrate"
run "$VPY" -m django collectstatic --noinput -v0 || fail "collectstatic"
missing_assets=()
for asset in perscom_oauth/admin/oauth_admin.css perscom_oauth/admin/copy.js perscom_oauth/admin/scope_picker.js; do
    [ -f "$TMP/static/$asset" ] || missing_assets+=("$asset")
done
if [ "${#missing_assets[@]}" -eq 0 ]; then
    step "ok   collectstatic ($(find "$TMP/static" -type f | wc -l) files, ours included)"
else
    step "FAIL collectstatic did not collect ${missing_assets[*]}"
    failed=1
fi

# 5. Every admin page of ours, as a superuser, answers 200.
if run "$VPY" - <<'PY'
import sys
from datetime import timedelta

import django

django.setup()

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from perscom_oauth.models import AuditEvent, Domain, Organization

root = get_user_model().objects.create_superuser("root", "root@example.test", "pw")
org = Organization.objects.create(name="Wheel", slug="wheel", plan=Organization.Plan.ENTERPRISE)
Domain.objects.create(organization=org, hostname="wheel.example.test", is_primary=True)
Application = get_application_model()
app = Application.objects.create(
    name="Wheel app",
    organization=org,
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris="http://127.0.0.1:8765/callback",
)
# A row in the token lists, so they render one (masked) rather than only their empty state.
access = get_access_token_model().objects.create(
    user=root,
    application=app,
    token="wheel-check-access-token",
    scope="view:user",
    expires=timezone.now() + timedelta(hours=1),
)
get_refresh_token_model().objects.create(
    user=root, application=app, token="wheel-check-refresh-token", access_token=access
)


def admin_url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


pages = [
    ("application changelist", admin_url(Application, "changelist")),
    ("application add", admin_url(Application, "add")),
    ("application change", admin_url(Application, "change", app.pk)),
    ("organization changelist", admin_url(Organization, "changelist")),
    ("organization change", admin_url(Organization, "change", org.pk)),
    ("access token changelist", admin_url(get_access_token_model(), "changelist")),
    ("refresh token changelist", admin_url(get_refresh_token_model(), "changelist")),
    ("authorization code changelist", admin_url(get_grant_model(), "changelist")),
    ("ID token changelist", admin_url(get_id_token_model(), "changelist")),
    ("audit changelist", admin_url(AuditEvent, "changelist")),
    ("authorizations", admin_url(Application, "authorizations")),
]
client = Client(raise_request_exception=False)
client.force_login(root)
failures = 0
for label, url in pages:
    response = client.get(url)
    if response.status_code == 200:
        print(f"wheel-check: ok   GET {url} ({label}) 200")
        continue
    failures += 1
    detail = ""
    if getattr(response, "exc_info", None):
        detail = f": {response.exc_info[0].__name__}: {response.exc_info[1]}"
    print(f"wheel-check: FAIL GET {url} ({label}) {response.status_code}{detail}")
sys.exit(1 if failures else 0)
PY
then :; else failed=1; fi

# 6. The README's install guide, run by tests/host_install/test_install_guide.py, against the wheel
#    in this production-like set-up (its sign-in page is the admin's template: hashed static).
mapfile -t test_pins < <(grep -iE '^(pytest|pytest-django)==' requirements.txt)
"$TMP/venv/bin/pip" install "${PIP_QUIET[@]}" "${test_pins[@]}" >"$TMP/pip.log" 2>&1 \
    || { tail -30 "$TMP/pip.log"; fail "pip install ${test_pins[*]}"; }
if run "$VPY" -m pytest -q -p no:cacheprovider -p pytest_django tests/host_install/test_install_guide.py \
    >"$TMP/guide.log" 2>&1; then
    step "ok   the README's install guide works against the wheel ($(tail -1 "$TMP/guide.log"))"
else
    tail -40 "$TMP/guide.log"
    step "FAIL the README's install guide against the wheel"
    failed=1
fi

if [ "$failed" -ne 0 ]; then
    step "FAILED in $((SECONDS - started))s (see the FAIL lines above)"
    exit 1
fi
step "all ok in $((SECONDS - started))s"
