"""Forms of the account pages a customer runs themselves (Django's own serve passwords)."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager

EMAIL_MAX_LENGTH = 254  # the user model's email column


def email_in_use(email: str, *, by_other_than: Any = None) -> bool:
    """Whether an account (other than `by_other_than`) has this email, compared without case."""
    accounts = get_user_model().objects.filter(email__iexact=email)
    if by_other_than is not None:
        accounts = accounts.exclude(pk=by_other_than.pk)
    return accounts.exists()


class EmailChangeForm(forms.Form):
    """A new email address, and the current password to show it is the account's owner asking."""

    new_email = forms.EmailField(label="New email address", max_length=EMAIL_MAX_LENGTH,
                                 help_text="We will send a link to this address; your email changes when you open it.",
                                 widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label="Current password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_email(self) -> str:
        email = BaseUserManager.normalize_email(self.cleaned_data["new_email"])
        if email.lower() == (self.user.email or "").lower():
            raise forms.ValidationError("This is already your email address.")
        if email_in_use(email, by_other_than=self.user):
            raise forms.ValidationError("Another account already uses this email address.")
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Your password was entered incorrectly. Please enter it again.")
        return password


class AccountDeleteForm(forms.Form):
    """The current password once more: deleting an account cannot be undone, so only its owner may ask."""

    password = forms.CharField(label="Current password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Your password was entered incorrectly. Nothing was deleted.")
        return password
