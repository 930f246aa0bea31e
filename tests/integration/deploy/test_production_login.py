"""The production settings under gunicorn behind a TLS-terminating proxy: staff and customers log in.

This is docker-compose.yml's shape with local processes: DEBUG off, a real SECRET_KEY, ALLOWED_HOSTS,
Secure cookies, the proxy's X-Forwarded-Proto trusted through SECURE_PROXY_SSL_HEADER, gunicorn from
config/gunicorn.conf.py, and the run's private event store and Redis. The client is `requests`,
following the CSRF flow as a browser does (cookie, form token, Origin header).
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.faults.stack import PASSWORD, Service, Template, _run, base_env, build_template
from tests.integration.deploy.tls_proxy import Certificates, TlsProxy, make_certificates


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Site:
    """The https origin a client uses, the proxy's CA to verify it, and gunicorn's own plain port."""

    origin: str
    ca: Path
    web_port: int

    def session(self) -> requests.Session:
        """A client that trusts only the test CA and never a proxy from the environment."""
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.ca)
        return session


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("production")
    template: Template = build_template(directory / "template")
    database = directory / "db.sqlite3"
    shutil.copyfile(template.path, database)
    web_port = _free_port()
    env = base_env(
        DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="localhost",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto", DATABASE_URL=f"sqlite:///{database}",
        STATIC_ROOT=str(directory / "static"), EVENTSTORE_URL=os.environ["EVENTSTORE_URL"],
        REDIS_URL=os.environ["REDIS_URL"], CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
        GUNICORN_BIND=f"127.0.0.1:{web_port}", GUNICORN_WORKERS="2", GUNICORN_ACCESS_LOG="")
    env.pop("SECURE_COOKIES", None)  # the secure default is what is under test
    _run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], env=env, timeout=180)
    web = Service("web", [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py",
                          "config.wsgi:application"], env, directory / "web.log",
                  lambda s: requests.get(f"http://127.0.0.1:{web_port}/ping", headers={"Host": "localhost"},
                                         timeout=2).status_code == 200, 90)
    certificates: Certificates = make_certificates(directory)
    web.start()
    try:
        with TlsProxy(certificates, upstream_port=web_port) as proxy:
            yield Site(f"https://localhost:{proxy.port}", certificates.ca, web_port)
    finally:
        web.stop()


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the login form has no CSRF token"
    return match.group(1)


def _log_in(site: Site, session: requests.Session, path: str, *, username: str) -> requests.Response:
    form = session.get(site.origin + path, timeout=30)
    assert form.status_code == 200, form.status_code
    csrf_cookie = next(cookie for cookie in session.cookies if cookie.name == "csrftoken")
    assert csrf_cookie.secure  # production cookies stay Secure: https is what makes them work
    return session.post(site.origin + path, timeout=30, allow_redirects=False,
                        headers={"Origin": site.origin, "Referer": site.origin + path},
                        data={"username": username, "password": PASSWORD,
                              "csrfmiddlewaretoken": _csrf_token(form.text)})


def test_staff_log_in_to_the_admin(site: Site):
    with site.session() as session:
        response = _log_in(site, session, "/admin/login/?next=/admin/", username="fault-staff")
        assert response.status_code == 302, (response.status_code, response.text[:500])
        assert response.headers["Location"] == "/admin/"
        assert next(cookie for cookie in session.cookies if cookie.name == "sessionid").secure
        admin = session.get(site.origin + "/admin/", timeout=30)
    assert admin.status_code == 200 and "fault-staff" in admin.text
    assert admin.url == site.origin + "/admin/"  # not bounced back to the login page
    assert "max-age=31536000" in admin.headers["Strict-Transport-Security"]


def test_a_customer_logs_in_to_the_site(site: Site):
    with site.session() as session:
        response = _log_in(site, session, "/accounts/login/", username="fault-customer-0")
        assert response.status_code == 302, (response.status_code, response.text[:500])
        assert response.headers["Location"] == "/orders/"
        orders = session.get(site.origin + "/orders/", timeout=30)
    assert orders.status_code == 200 and orders.url == site.origin + "/orders/"


def test_plain_http_without_the_proxy_is_sent_to_https(site: Site):
    # Straight to gunicorn, no X-Forwarded-Proto: the app must not take it for https.
    response = requests.get(f"http://127.0.0.1:{site.web_port}/accounts/login/", headers={"Host": "localhost"},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 301 and response.headers["Location"].startswith("https://localhost")

