"""Catch-up subscriptions over $all: projections and process managers are run by the same runner."""
