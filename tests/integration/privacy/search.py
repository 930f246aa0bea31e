"""Where a test customer's personal data could hide, each searched for a set of needles (case-insensitive).

Every search returns where each needle was found (a file, a Redis key, a table), so a failure names
the copy that leaked instead of saying only that something did.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import redis


def _found(haystack: bytes, needles: Iterable[str]) -> list[str]:
    lowered = haystack.lower()
    return [needle for needle in needles if needle.lower().encode() in lowered]


def in_files(directory: Path, needles: Iterable[str], *, skip: Iterable[Path] = ()) -> dict[str, list[str]]:
    """Every file under `directory` (raw bytes, binary ones included) holding a needle -> the needles in it."""
    needles, skipped = list(needles), [path.resolve() for path in skip]
    hits: dict[str, list[str]] = {}
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or any(path.resolve() == s or s in path.resolve().parents for s in skipped):
            continue
        found = _found(path.read_bytes(), needles)
        if found:
            hits[str(path.relative_to(directory))] = found
    return hits


def _values(client: redis.Redis, key: bytes) -> list[bytes]:
    """Every byte string stored at a key, whatever its type (members, fields, values, scores aside)."""
    kind = client.type(key).decode()
    if kind == "string":
        return [client.get(key) or b""]
    if kind == "hash":
        return [part for pair in client.hgetall(key).items() for part in pair]
    if kind == "list":
        return list(client.lrange(key, 0, -1))
    if kind == "set":
        return list(client.smembers(key))
    if kind == "zset":
        return [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
    if kind == "stream":
        return [part for _, fields in client.xrange(key) for pair in fields.items() for part in pair]
    if kind == "none":  # expired or deleted between SCAN and TYPE
        return []
    raise AssertionError(f"a Redis value of type {kind} at {key!r}: teach this search to read it")


def in_redis(url: str, needles: Iterable[str]) -> dict[str, list[str]]:
    """Every key of every database of one Redis whose name or value holds a needle -> the needles ("db/key").

    Values are read type by type rather than with DUMP, whose RDB encoding may compress a string.
    """
    needles = list(needles)
    probe = redis.Redis.from_url(url)
    try:
        databases = [int(name.removeprefix("db")) for name in probe.info("keyspace")]
    finally:
        probe.close()
    hits: dict[str, list[str]] = {}
    for db in databases:
        client = redis.Redis.from_url(url, db=db)
        try:
            for key in client.scan_iter(count=1000):
                found = _found(b"\n".join([key, *_values(client, key)]), needles)
                if found:
                    hits[f"{db}/{key.decode(errors='replace')}"] = found
        finally:
            client.close()
    return hits


def in_database(path: Path, needles: Iterable[str]) -> dict[str, list[str]]:
    """Every table of a SQLite database with a row holding a needle in any column -> the needles.

    Rows, not the file's bytes: SQLite keeps deleted rows' bytes in free pages until they are reused
    (a property of the database engine, not of erasure; VACUUM or secure_delete clears them).
    """
    needles = list(needles)
    hits: dict[str, list[str]] = {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608 - names from sqlite_master
            text = "\n".join(repr(row) for row in rows).encode()
            found = _found(text, needles)
            if found:
                hits[table] = found
    return hits
