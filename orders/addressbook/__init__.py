"""Saved shipping addresses (Django ORM, owner-only): picked at checkout, kept under /account/addresses/."""
