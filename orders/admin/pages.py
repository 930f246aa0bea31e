"""How the back office's own pages join the admin site's URLs."""
from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse

from orders import roles


def binder(site: AdminSite, *, permission: str | None = None
           ) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wraps views taking `(request, site, **kwargs)` as admin views (staff login), checking `permission` if given."""
    def bind(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def page(request: HttpRequest, **kwargs: str) -> HttpResponse:
            if permission is not None:
                roles.require(request.user, permission)
            return view(request, site, **kwargs)

        return site.admin_view(page)

    return bind
