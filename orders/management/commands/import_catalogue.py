"""`manage.py import_catalogue FILE.csv`: create or update products and receive their initial stock."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from eventlog import connections
from eventlog.errors import EventStoreUnavailableError
from orders.catalogue_import import COLUMNS, CatalogueImportError, apply_catalogue, parse_catalogue


class Command(BaseCommand):
    help = (f"Import products from a UTF-8 CSV with the columns {', '.join(COLUMNS)}. Every line is checked "
            "first; nothing is written if any is wrong. Running it again with the same file changes nothing.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument("--dry-run", action="store_true", help="Only check the file.")

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror or error}") from None
        try:
            rows = parse_catalogue(data)
        except CatalogueImportError as error:
            raise CommandError(f"{file}: nothing was imported:\n{error}") from None
        if dry_run:
            self.stdout.write(f"{file}: {len(rows)} products, no problems found (dry run: nothing written)")
            return
        store = connections.event_store()
        try:
            store.head_position()  # fail before the first write, not between products and stock
            summary = apply_catalogue(rows, store=store)
        except EventStoreUnavailableError as error:
            raise CommandError(f"the event store is unavailable ({error}); run the import again when it "
                               "is back (it is safe to repeat)") from None
        except CatalogueImportError as error:
            raise CommandError(f"{file}: {error}") from None
        self.stdout.write(
            f"products: {len(summary.created)} created, {len(summary.updated)} updated, "
            f"{len(summary.unchanged)} unchanged; initial stock received for {len(summary.stock_received)} "
            f"({sum(summary.stock_received.values())} units)")
        if summary.stock_skipped:
            self.stdout.write("initial stock skipped (these skus already have stock history; use "
                              f"receive/adjust stock instead): {', '.join(summary.stock_skipped)}")
