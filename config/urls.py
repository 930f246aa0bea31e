"""Top-level URL map: customer pages at /, the staff admin at /admin/, the REST API at /api/."""
from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from config.views import healthz, metrics, ping

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("orders.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("ping", ping, name="ping"),
    path("", include("orders.web.urls")),
]
