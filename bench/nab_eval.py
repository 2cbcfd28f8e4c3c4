# SPDX-License-Identifier: MIT
"""NAB evaluation of the product's streaming anomaly detector (`analytics.anomalies.anomaly_scores`).

    .venv/bin/python bench/nab_eval.py --data /work/shared/eval/nab-dev/data --out /tmp/nab
        [--scorer /work/shared/eval/nab-dev/nab_score.py] [--windows .../windows.json] [--thresholds t.json]

Reads every `<category>/<file>.csv` (`timestamp,value`) under --data, scores it as a stream with the
detector's default (balanced) settings, writes `OUT/aiser/<category>/<file>.csv` with
`timestamp,anomaly_score`, prints the speed in points per second (detector time only, one core), then runs
NAB's scorer (next to --data by default) and prints its three profile scores. No file is tuned on its own:
the same parameters serve every file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat2chart.analytics.anomalies import anomaly_scores  # noqa: E402

DETECTOR = "aiser"


def score_files(data: Path, out: Path) -> tuple[int, float]:
    """Write one result file per data file; return (points, seconds spent in the detector)."""
    points, seconds = 0, 0.0
    for path in sorted(data.glob("*/*.csv")):
        frame = pd.read_csv(path)
        started = time.perf_counter()
        scores = anomaly_scores(frame["value"].to_numpy(dtype=float))
        seconds += time.perf_counter() - started
        points += len(frame)
        target = out / DETECTOR / path.parent.name
        target.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"timestamp": frame["timestamp"], "anomaly_score": scores}).to_csv(
            target / path.name, index=False
        )
    return points, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scorer", type=Path, default=None, help="nab_score.py (default: beside --data)")
    parser.add_argument("--windows", type=Path, default=None, help="windows.json (default: beside --data)")
    parser.add_argument("--thresholds", type=Path, default=None, help="apply thresholds saved by --json")
    parser.add_argument("--json", type=Path, default=None, help="save scores and thresholds here")
    args = parser.parse_args()
    points, seconds = score_files(args.data, args.out)
    print(f"{points:,} points in {seconds:.2f} s: {points / seconds:,.0f} points/s (detector only, one core)")
    root = args.data.resolve().parent
    scorer = args.scorer or root / "nab_score.py"
    windows = args.windows or root / "windows.json"
    command = [
        sys.executable,
        str(scorer),
        str(windows),
        str(args.out.resolve() / DETECTOR),
        "--data",
        str(args.data),
    ]
    if args.thresholds:
        command += ["--thresholds", str(args.thresholds)]
    if args.json:
        command += ["--json", str(args.json)]
    subprocess.run(command, check=True, cwd=root)


if __name__ == "__main__":
    main()
