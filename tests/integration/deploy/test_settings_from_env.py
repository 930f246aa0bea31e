"""The production settings read from the environment: secrets from files, cookies, proxy header, HSTS."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.faults.stack import ROOT

_PRINT = ("import json; from django.conf import settings as s; print(json.dumps({"
          "'key': s.SECRET_KEY, 'token': s.METRICS_TOKEN, 'pii': s.PII_MASTER_KEY,"
          "'secure': [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],"
          "'proxy': getattr(s, 'SECURE_PROXY_SSL_HEADER', None),"
          "'hsts': [s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD]}))")


def _settings(**env: str) -> dict:
    environ = {key: value for key, value in os.environ.items()
               if key not in {"SECRET_KEY", "METRICS_TOKEN", "PII_MASTER_KEY"}}
    environ.update({"ENV_FILE": "", "DEBUG": "false", "ALLOWED_HOSTS": "localhost", **env})
    done = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + _PRINT], cwd=ROOT,
                          env={**environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_defaults_are_secure_and_secrets_come_from_files(tmp_path):
    (tmp_path / "key").write_text("a-key-from-a-docker-secret\n")
    (tmp_path / "token").write_text("scraper-token")
    (tmp_path / "pii").write_text("bWFzdGVyLWtleS1mcm9tLWEtZG9ja2VyLXNlY3JldCE=\n")
    seen = _settings(SECRET_KEY_FILE=str(tmp_path / "key"), METRICS_TOKEN_FILE=str(tmp_path / "token"),
                     PII_MASTER_KEY_FILE=str(tmp_path / "pii"))
    assert seen["key"] == "a-key-from-a-docker-secret" and seen["token"] == "scraper-token"
    assert seen["pii"] == "bWFzdGVyLWtleS1mcm9tLWEtZG9ja2VyLXNlY3JldCE="
    assert seen["secure"] == [True, True]
    assert seen["proxy"] is None  # no client header is trusted unless the operator names one
    assert seen["hsts"] == [31536000, True, True]


def test_plain_http_local_use_proxy_header_and_hsts_are_settings():
    seen = _settings(SECRET_KEY="k" * 50, SECURE_COOKIES="false", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
                     SECURE_HSTS_SECONDS="3600", SECURE_HSTS_INCLUDE_SUBDOMAINS="false", SECURE_HSTS_PRELOAD="false")
    assert seen["secure"] == [False, False]
    assert seen["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert seen["hsts"] == [3600, False, False]
