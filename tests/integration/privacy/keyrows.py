"""A subject's rows of the keyring's tables (the pii app): copied, and put back as restoring a backup would."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def keyring_rows(db_path: Path, subject: str) -> dict[str, list[tuple]]:
    """The rows of the pii app's tables that belong to a subject (copied as a backup holds them)."""
    rows: dict[str, list[tuple]] = {}
    with sqlite3.connect(db_path) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'pii\\_%' ESCAPE '\\'")]
        for table in tables:
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
            if "subject" in columns:
                rows[table] = connection.execute(f'SELECT * FROM "{table}" WHERE subject = ?',  # noqa: S608
                                                 (subject,)).fetchall()
    return rows


def restore_rows(db_path: Path, rows: dict[str, list[tuple]], subject: str) -> None:
    """Put a subject's keyring rows back as they were (what restoring a database backup does to them)."""
    with sqlite3.connect(db_path) as connection:
        for table, table_rows in rows.items():
            connection.execute(f'DELETE FROM "{table}" WHERE subject = ?', (subject,))  # noqa: S608
            for row in table_rows:
                marks = ", ".join("?" for _ in row)
                connection.execute(f'INSERT INTO "{table}" VALUES ({marks})', row)  # noqa: S608
