"""Tracking links of well-known carriers: a shipped email links to the parcel when the carrier is known."""
from __future__ import annotations

import re
from urllib.parse import quote

# Normalised carrier name (lower case, letters and digits only) -> tracking page, {number} filled in.
TRACKING_URLS = {
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{number}",
    "gls": "https://gls-group.com/GROUP/en/parcel-tracking?match={number}",
    "postnl": "https://postnl.nl/tracktrace/?B={number}",
    "royalmail": "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    "laposte": "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
}
ALIASES = {"dhlexpress": "dhl", "dhlparcel": "dhl", "unitedparcelservice": "ups", "federalexpress": "fedex",
           "colissimo": "laposte"}


def tracking_url(carrier: str, tracking_number: str) -> str | None:
    """The carrier's tracking page for this parcel, or None when the carrier is not one we know."""
    name = re.sub(r"[^a-z0-9]", "", carrier.lower())
    template = TRACKING_URLS.get(ALIASES.get(name, name))
    number = tracking_number.strip()
    if template is None or not number:
        return None
    return template.format(number=quote(number, safe=""))
