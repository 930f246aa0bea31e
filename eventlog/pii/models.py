"""The data-key table: one row per data subject; a destroyed key keeps its row (a tombstone)."""
from __future__ import annotations

import uuid

from django.db import models


class SubjectKey(models.Model):
    """A data subject's data key, wrapped by the master key with the given fingerprint."""

    key_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.CharField(max_length=150, unique=True)
    # Nonce + AES-GCM ciphertext of the data key; empty once the key is destroyed.
    wrapped_key = models.BinaryField(null=True, blank=True)
    master_fingerprint = models.CharField(max_length=32, db_index=True, blank=True)
    created_at = models.DateTimeField()
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "data subject key"
        indexes = [models.Index(fields=["erased_at", "master_fingerprint"], name="pii_live_by_master")]

    def __str__(self) -> str:
        return f"data key of {self.subject} ({'erased' if self.erased_at else self.master_fingerprint})"
