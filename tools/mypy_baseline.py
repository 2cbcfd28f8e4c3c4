"""Run mypy and compare its errors with `.mypy-baseline.txt`, which may only shrink.

    python tools/mypy_baseline.py           # fail on any error not in the baseline
    python tools/mypy_baseline.py --update  # rewrite the baseline (after fixing errors)

Errors are compared without line numbers (`path: error: message  [code]`), counted per line, so
editing a file does not churn the baseline but a second copy of a known error still fails.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".mypy-baseline.txt"
ERROR_LINE = re.compile(r"^(?P<path>[^:\s]+\.pyi?):\d+(?::\d+)?: error: (?P<rest>.*)$")


def normalise(output: str) -> Counter[str]:
    """The error lines of mypy's output, without line and column numbers, counted."""
    errors: Counter[str] = Counter()
    for line in output.splitlines():
        match = ERROR_LINE.match(line.strip())
        if match:
            errors[f"{match['path']}: error: {match['rest']}"] += 1
    return errors


def run_mypy() -> tuple[int, str]:
    """mypy's exit code and output, configured by `[tool.mypy]` in pyproject.toml."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def read_baseline() -> Counter[str]:
    if not BASELINE.exists():
        return Counter()
    lines = [line for line in BASELINE.read_text().splitlines() if line and not line.startswith("#")]
    return Counter(lines)


def write_baseline(errors: Counter[str]) -> None:
    lines = sorted(errors.elements())
    header = "# mypy errors accepted for now (tools/mypy_baseline.py --update). Shrink it, never grow it.\n"
    BASELINE.write_text(header + "".join(f"{line}\n" for line in lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline with the current errors")
    args = parser.parse_args()
    code, output = run_mypy()
    if code not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        print(output)
        return code
    current = normalise(output)
    if args.update:
        write_baseline(current)
        print(f"mypy baseline: {sum(current.values())} errors written to {BASELINE.name}")
        return 0
    baseline = read_baseline()
    new = current - baseline
    gone = baseline - current
    if new:
        print(f"mypy: {sum(new.values())} error(s) not in {BASELINE.name}:")
        for line in output.splitlines():
            match = ERROR_LINE.match(line.strip())
            if match and f"{match['path']}: error: {match['rest']}" in new:
                print(f"  {line}")
        return 1
    if gone:
        print(
            f"mypy: {sum(gone.values())} baselined error(s) are fixed. Shrink the baseline: "
            "python tools/mypy_baseline.py --update"
        )
    print(f"mypy: no new errors ({sum(current.values())} baselined).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
