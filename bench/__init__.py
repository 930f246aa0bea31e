"""Bench scripts: each prints one JSON metric per line; `bench/run_all.py` collects them."""
