"""What a personal field reads as when its value cannot be shown."""
from __future__ import annotations

ERASED = "[erased]"
"""The subject was erased: their data key is destroyed and the value is gone for good."""

UNAVAILABLE = "[unavailable]"
"""The value cannot be opened right now (no or wrong master key, unknown key, damaged value); it is not lost."""
