"""`python -m eventlog.server --host 127.0.0.1 --port 2113 --data var/eventstore` (or --memory)."""
from __future__ import annotations

from eventlog.server.server import main

if __name__ == "__main__":
    raise SystemExit(main())
