"""Production settings for bench/http_load.py, with collected static files in the run's temp dir.

Everything comes from config.settings (DEBUG off, whitenoise's manifest storage, JSON logs);
only STATIC_ROOT moves, so a bench run never writes into the shared var/static.
"""
from __future__ import annotations

import os

from config.settings import *  # noqa: F403 - the product's settings, unchanged but for STATIC_ROOT

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
