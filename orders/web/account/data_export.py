"""The signed-in customer downloads their own data (/account/export/): one JSON file, or a 503 saying why not."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from orders.privacy import download
from orders.privacy.export import export_customer, file_name


@require_GET
@login_required
def account_export(request: HttpRequest) -> HttpResponse:
    """Everything the shop holds about the signed-in customer, as a JSON attachment (never anyone else's)."""
    try:
        document = export_customer(request.user)
    except Exception as error:
        if not download.is_outage(error):
            raise
        response = TemplateResponse(request, "web/account/export_unavailable.html",
                                    {"message": download.UNAVAILABLE}, status=503)
        response["Retry-After"] = str(download.RETRY_AFTER_SECONDS)
        return response
    return download.attachment(document, file_name=file_name(request.user))
