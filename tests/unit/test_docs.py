"""The project's docs stand on their own: no links outside the repository, and every relative link resolves."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_relative_links_stay_inside_the_repository_and_resolve(doc):
    for target in LINK.findall(doc.read_text()):
        if re.match(r"^[a-z]+:", target):  # http(s)://, mailto: ...
            continue
        resolved = (doc.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
        assert resolved.exists(), f"{doc.name} links to a missing file: {target}"


def test_the_readme_links_the_architecture():
    assert "](docs/architecture.md)" in (ROOT / "README.md").read_text()


def test_the_readme_links_the_operations_guide():
    assert "](docs/operations.md)" in (ROOT / "README.md").read_text()
