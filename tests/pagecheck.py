# SPDX-License-Identifier: MIT
"""Page checks for browser tests: a screenshot at desktop and phone width, and axe-core's rules.

`check_page(page, "home")` resizes the page to each size in `SIZES`, saves
`test-artifacts/<name>-<width>.png` (full page) and runs axe-core (vendored in `tests/vendor/axe-core`,
injected as a script, so no network is used). It fails the test when axe reports any violation of
impact "serious" or "critical", listing the rule, its help text and the first offending elements.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = (1440, 900)
PHONE = (390, 844)
SIZES = (DESKTOP, PHONE)
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; returns axe's `violations` list (rule id, impact, help,
    nodes with their CSS targets). Injects the script once per document, through the DevTools protocol
    (`page.evaluate`), which the product's Content-Security-Policy (no inline scripts) does not block."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(f"(() => {{ {AXE_SCRIPT.read_text()}\n }})()")
        assert page.evaluate("() => typeof window.axe !== 'undefined'"), "axe-core did not load"
    return page.evaluate("async () => (await window.axe.run(document)).violations")


def blocking(violations: list[dict[str, Any]]) -> list[str]:
    """The serious and critical violations as readable lines ("rule: help — targets")."""
    lines = []
    for violation in violations:
        if violation.get("impact") in BLOCKING_IMPACTS:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return lines


def check_page(page: Any, name: str, *, sizes: tuple[tuple[int, int], ...] = SIZES) -> None:
    """Screenshot `page` at each size into test-artifacts/ and assert axe finds nothing serious.

    Leaves the page at the last size (phone width by default); restores nothing else."""
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)  # let layout and charts settle after the resize
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        problems += [f"[{width}px] {line}" for line in blocking(axe_violations(page))]
    assert not problems, f"axe-core found serious accessibility problems on {name}:\n" + "\n".join(problems)
