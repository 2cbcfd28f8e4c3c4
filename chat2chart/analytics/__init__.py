# SPDX-License-Identifier: MIT
"""The analytics engine: trends, anomalies, forecasts, key drivers, patterns and an insights feed.

The computing modules are pure (series and frames in, typed findings out, no Django); `api.py` runs a
semantic query and hands its rows to them.
"""
