"""Free-text fields of forms and serializers check what the domain checks, so its message lands on the field."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from orders.domain.errors import CommandValidationError
from orders.domain.validation import require_clean_text

# The field's own max_length bounds the length; this validator only judges the characters.
_NO_LIMIT = 2**31


@deconstructible
class CleanTextValidator:
    """Refuse control and invisible formatting characters (newline and tab allowed when `multiline`)."""

    code = "invalid_characters"

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if isinstance(value, str) and not value.strip():
            return  # blank is the field's own "required" / "not blank" error
        try:
            require_clean_text("value", value, max_length=_NO_LIMIT, multiline=self.multiline)
        except CommandValidationError as error:
            raise ValidationError(error.problem, code=self.code) from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CleanTextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(self.multiline)


SINGLE_LINE = CleanTextValidator()
MULTI_LINE = CleanTextValidator(multiline=True)
