"""Thin Celery tasks of the write side."""
from __future__ import annotations

from celery import shared_task

from orders.privacy import erasure

REAPPLY_ERASURES_TASK = "orders.reapply_erasures"


@shared_task(name=REAPPLY_ERASURES_TASK, ignore_result=True)
def reapply_erasures() -> int:
    """Apply every recorded erasure again (sent at worker start: a restored database must not bring anyone back)."""
    return erasure.reapply_erasures()
