"""The data export's file name: the username made safe for a file name and a Content-Disposition header."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User

from orders.privacy.export import file_name

ON = datetime(2026, 11, 27, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize(("username", "expected"), [
    ("alice", "ordersys-data-alice-2026-11-27.json"),
    ("a.b-c_d", "ordersys-data-a.b-c_d-2026-11-27.json"),
    ('eve"; filename="x.exe', "ordersys-data-eve___filename__x.exe-2026-11-27.json"),
    ("../../etc/passwd", "ordersys-data-_.._etc_passwd-2026-11-27.json"),
    ("zoë\r\nSet-Cookie", "ordersys-data-zo___Set-Cookie-2026-11-27.json"),
    ("...", "ordersys-data-7-2026-11-27.json"),
])
def test_the_file_name_keeps_only_safe_characters(username, expected):
    assert file_name(User(pk=7, username=username), on=ON) == expected
