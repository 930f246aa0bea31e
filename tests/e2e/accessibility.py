"""Accessibility checks in the browser tests: axe-core (installed by npm from tests/e2e/package.json) on a page.

`make test` runs `npm ci` here; without npm the checks are skipped with a loud warning and the rest
of each browser test still runs. The script is injected with Playwright's `add_script_tag(path=...)`,
which inlines it, so browser contexts are opened with `bypass_csp=True` (see CONTEXT_OPTIONS).
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
# What WCAG 2.1 AA asks (plus axe's best practices, which catch missing landmarks and headings).
RUN_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}
CONTEXT_OPTIONS: dict[str, Any] = {"bypass_csp": True}  # an inlined axe must run under a strict CSP too


class AccessibilityError(AssertionError):
    """A page has serious or critical accessibility violations."""


def axe_available() -> bool:
    """Whether axe-core is installed (npm ci in tests/e2e)."""
    return AXE_SCRIPT.is_file()


def warn_missing() -> None:
    """Say loudly that the accessibility checks are not running."""
    message = ("ACCESSIBILITY CHECKS SKIPPED: axe-core is not installed "
               "(run `make test`, or `npm ci --prefix tests/e2e`)")
    warnings.warn(message, stacklevel=2)
    sys.stderr.write(f"\n{'!' * 72}\n{message}\n{'!' * 72}\n")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate("options => axe.run(document, options)", RUN_OPTIONS)
    return [v for v in result["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(found: list[dict[str, Any]]) -> str:
    """One readable block per violation: rule, impact, help, and the offending elements."""
    lines = []
    for violation in found:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"][:5]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {node['target']}: {node.get('html', '')[:160]} -> {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Any, *, what: str | None = None) -> None:
    """Fail if axe-core finds serious or critical violations on the page, listing them."""
    found = violations(page)
    if found:
        raise AccessibilityError(f"{what or page.url}: {len(found)} serious/critical accessibility violation(s)\n"
                                 f"{describe(found)}")
