"""No 500 from input: every page and admin query parameter, oversized bodies, and stream names of any shape."""
from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from django.apps import apps
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from eventlog import connections
from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
from orders.admin import events as admin_events
from orders.admin.forms import EventFilterForm
from tests.web.conftest import place, project

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ["-5", "-1", "18446744073709551616", "²", "١٢", "", "x" * 5000, "../", "%00", "\x00", "'\"<script>",
           "2026-13-45"]
BROWSER = "/admin/eventlog/events/"

# Every query parameter each of our views reads (checked against the code below), and the ones
# Django's own admin and auth pages read (fed to every other page).
PAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "admin:es_order_list": ("status", "q", "o", "cursor", "p"),
    "admin:es_event_browser": tuple(EventFilterForm.base_fields),
    "admin:es_stream_lookup": ("stream", "version", "from"),
    "admin:es_stream_timeline": ("from", "version"),
    "web:order_list": ("cursor",),
    "web:order_detail": ("poll", "v"),
    "admin:es_packing_slips": ("order",),
    "admin:customers": ("q", "p"),
}
DJANGO_PARAMS = ("q", "o", "p", "e", "next", "_to_field", "_changelist_filters", "term")
SKIPPED = {"admin:view_on_site", "admin:logout", "web:logout"}  # a redirect off the site; ending the session


def _named(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if not str(pattern.pattern).startswith("api/"):
                yield from _named(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def _kwargs_names(pattern: URLPattern) -> list[str]:
    if isinstance(pattern.pattern, RoutePattern):
        return list(pattern.pattern.converters)
    return list(pattern.pattern.regex.groupindex)


def _value(url_name: str, kwarg: str, fixture: dict[str, object]) -> object:
    if kwarg == "object_id":  # admin:<app>_<model>_<action>
        app_label, _, rest = url_name.removeprefix("admin:").partition("_")
        model = apps.get_model(app_label, rest.rsplit("_", 1)[0])
        first = model._default_manager.order_by("pk").first()
        return first.pk if first is not None else 1
    return fixture[kwarg]


def _urls(fixture: dict[str, object]) -> list[tuple[str, str]]:
    found = []
    for url_name, pattern in _named(get_resolver()):
        if url_name in SKIPPED or not (url_name.startswith(("admin:", "web:")) or ":" not in url_name):
            continue
        names = _kwargs_names(pattern)
        if "url" in names:  # the admin's catch-all
            continue
        try:
            found.append((url_name, reverse(url_name, kwargs={n: _value(url_name, n, fixture) for n in names})))
        except NoReverseMatch:
            pytest.fail(f"cannot build a URL for {url_name} from the fixture: extend _value")
    return found


@pytest.fixture
def fixture(customer_a, stocked) -> dict[str, object]:
    order_id = place(customer_a, (stocked(), 1))
    project()
    return {"order_id": order_id, "stream_name": f"order-{order_id}", "name": "orders", "action": "confirm",
            "app_label": "orders", "user_id": customer_a.pk, "id": customer_a.pk,
            "uidb64": "MQ", "token": "not-a-token", "address_id": 1}


def _attempts(url_name: str, *, who: str) -> list[dict[str, str]]:
    params = PAGE_PARAMS.get(url_name)
    if who == "customer" and not url_name.startswith("web:"):  # refused before any parameter is read
        return [dict.fromkeys(params or DJANGO_PARAMS, "-5")]
    if params is None:  # Django's own pages: every value somewhere, in two requests (they are many pages)
        return [{param: HOSTILE[(index + shift) % len(HOSTILE)] for index, param in enumerate(DJANGO_PARAMS)}
                for shift in (0, len(DJANGO_PARAMS))]
    # Ours: one parameter at a time, so a check of one cannot hide a crash in another.
    return [{param: value, **({"poll": "1"} if param == "v" else {})} for param in params for value in HOSTILE]


def test_no_page_answers_5xx_to_hostile_query_parameters(staff_client, client_a, fixture, monkeypatch):
    monkeypatch.setattr(admin_events, "SCAN_LIMIT", 100)  # the shared store is long; a short scan is enough here
    urls = _urls(fixture)
    assert any(name == "admin:es_stream_timeline" for name, _ in urls) and any(n == "web:order_detail" for n, _ in urls)
    failures = []
    for who, client in (("staff", staff_client), ("customer", client_a)):
        client.raise_request_exception = False  # collect every 500, not only the first
        for url_name, url in urls:
            for query in _attempts(url_name, who=who):
                headers = {"HTTP_HX_REQUEST": "true"} if "poll" in query else {}
                response = client.get(url, query, **headers)
                if response.status_code >= 500:
                    failures.append((who, url_name, query if len(str(query)) < 200 else "(long)",
                                     response.status_code))
    assert not failures, failures[:20]


def test_the_declared_parameters_are_every_parameter_the_views_read():
    read: set[str] = set()
    for module in ("orders/admin/events.py", "orders/admin/orders.py", "orders/web/views.py",
                   "orders/admin/console.py", "orders/admin/dashboard.py",
                   "orders/admin/packing_slips.py", "orders/admin/customers.py"):
        tree = ast.parse((ROOT / module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and any(isinstance(a, ast.Attribute) and a.attr == "GET"
                                                  for a in [*node.args, getattr(node.func, "value", None)]):
                read |= {a.value for a in node.args
                         if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value}
    declared = {param for params in PAGE_PARAMS.values() for param in params}
    assert read, "the scan found no parameter reads: the test is broken"
    assert read <= declared, f"parameters read but not crawled: {read - declared}"


# -- one test per case of the issue ----------------------------------------------------------------


@pytest.mark.parametrize("query", [{"from": "-5"}, {"version": "-1"}, {"from": "18446744073709551616"},
                                   {"version": "9223372036854775808"}, {"version": "²"}, {"from": "١٢"}])
def test_a_timeline_names_the_bad_parameter_with_400(staff_client, fixture, query):
    response = staff_client.get(f"/admin/eventlog/stream/{fixture['stream_name']}/", query)

    assert response.status_code == 400
    [name] = query
    assert f"The parameter &#x27;{name}&#x27; must be a whole number" in response.content.decode()


def test_a_version_past_the_end_is_404(staff_client, fixture):
    response = staff_client.get(f"/admin/eventlog/stream/{fixture['stream_name']}/", {"version": 2**63 - 1})
    assert response.status_code == 404


@pytest.mark.parametrize("before", ["18446744073709551616", "-5", "0", "²", "١٢"])
def test_the_event_browser_refuses_a_bad_position_with_400(staff_client, before):
    response = staff_client.get(BROWSER, {"before": before})

    assert response.status_code == 400 and "Please correct the filters" in response.content.decode()


@pytest.mark.parametrize("query", [{"since": "2026-13-45"}, {"correlation_id": "not-a-uuid"},
                                   {"stream_prefix": "a\x00b"}, {"event_type": "x" * 5000}])
def test_the_event_browser_refuses_other_bad_filters_with_400(staff_client, query):
    assert staff_client.get(BROWSER, query).status_code == 400


@pytest.mark.parametrize("query", [{"p": "-5"}, {"p": "²"}, {"status": "BOGUS"}, {"q": "a\x00"}, {"o": "x"}])
def test_the_admin_order_list_names_the_bad_parameter_with_400(staff_client, query):
    response = staff_client.get("/admin/orders/order/", query)

    [name] = query
    assert response.status_code == 400 and f"The parameter &#x27;{name}&#x27;" in response.content.decode()


@pytest.mark.parametrize("seen", ["²", "-5", "18446744073709551616", "x"])
def test_the_order_page_poll_refuses_a_bad_version_with_400(client_a, fixture, seen):
    response = client_a.get(f"/orders/{fixture['order_id']}/", {"poll": "1", "v": seen}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400 and "The parameter &#x27;v&#x27;" in response.content.decode()


def test_the_order_page_poll_still_answers_a_good_version(client_a, fixture):
    response = client_a.get(f"/orders/{fixture['order_id']}/", {"poll": "1", "v": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204


STRANGE_STREAMS = ["order-a/b", "inventory-%2F", "inventory-Ünïcødé-✓", "order-with space", "order-" + "x" * 1000,
                   "order-../..", "inventory-./x", "order-a\\..\\b", "order-line\nbreak", "order-a?b#c&d"]


@pytest.mark.parametrize("stream", STRANGE_STREAMS)
def test_links_to_any_stream_name_resolve_to_that_stream(staff_client, stream):
    url = admin_events.timeline_url(stream, version=3)

    response = staff_client.get(url)

    assert response.status_code == 404  # no such aggregate: but the name arrived intact
    assert response.wsgi_request.resolver_match.url_name in {"es_stream_timeline", "es_stream_lookup"}
    if response.wsgi_request.resolver_match.url_name == "es_stream_timeline":
        assert response.wsgi_request.resolver_match.kwargs["stream_name"] == stream
    else:
        assert response.wsgi_request.GET["stream"] == stream
    assert response.wsgi_request.GET["version"] == "3"


def test_pages_listing_strange_stream_names_render(staff_client, redis_client, unique):
    """The event browser, the stream lookup and the dead-letter page link streams whose names have "/" and more."""
    meta = EventMetadata(correlation_id=uuid4(), causation_id=None, actor="system:test")
    names = [f"order-{unique}/a/b", f"order-{unique} %2F ü", f"inventory-{unique}/../x"]
    for name in names:
        connections.event_store().append(name, [NewEvent(uuid4(), "OrderNoteAdded", 1, b'{"broken": ', meta)],
                           expected_version=NO_STREAM)
    project()

    browser = staff_client.get(BROWSER, {"stream_prefix": f"order-{unique}"})
    assert browser.status_code == 200 and len(browser.context["rows"]) == 2
    page = html.unescape(browser.content.decode())
    for name in names[:2]:
        assert admin_events.timeline_url(name, version=0) in page
    lookup = staff_client.get("/admin/eventlog/stream/", {"stream": names[0]})
    assert lookup.status_code == 302
    assert staff_client.get(lookup["Location"]).status_code in (404, 503)
    assert staff_client.get("/admin/eventlog/stream/", {"stream": names[2]}).status_code in (404, 503)
    dead = staff_client.get("/admin/projections/subscribers/orders/dead-letters/")
    assert dead.status_code == 200
    assert re.search(r"order-\w+/a/b", html.unescape(dead.content.decode()))


# -- bodies over DATA_UPLOAD_MAX_MEMORY_SIZE -------------------------------------------------------


@pytest.fixture
def small_uploads(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000


@pytest.mark.parametrize("path", ["/orders/new/", "/accounts/login/", "/accounts/signup/", "/admin/login/"])
def test_a_page_post_over_the_size_limit_is_413_page(client_a, small_uploads, path):
    response = client_a.post(path, {"note": "x" * 5000})

    assert response.status_code == 413
    assert 'id="too-large"' in response.content.decode() and "<h1>Too much data</h1>" in response.content.decode()


def test_a_client_without_csrf_checks_still_gets_413(small_uploads, customer_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer_a)
    assert client.post("/orders/new/", {"note": "x" * 5000}).status_code == 413
