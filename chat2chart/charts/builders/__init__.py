# SPDX-License-Identifier: MIT
"""ECharts option builders, one module per chart family; `base` holds what they share.

Each builder is a plain function `build_x(chart: ChartInput) -> dict` returning a JSON-serialisable
ECharts option with no JavaScript functions and no HTML built from data.
"""
