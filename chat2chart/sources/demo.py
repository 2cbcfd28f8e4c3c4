# SPDX-License-Identifier: MIT
"""Demo data: three sample file sources, generated deterministically in code and ingested like uploads.

Sales orders (two years up to today), daily web traffic (weekly seasonality, a few anomalies) and
customers. Idempotent: a sample that already exists and is ready is left alone.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chat2chart.core.principal import Principal
from chat2chart.sources import services
from chat2chart.sources.models import Source

SEED = 20240601
_REGIONS = {
    "Europe": ["Germany", "France", "United Kingdom", "Spain", "Netherlands"],
    "North America": ["United States", "Canada", "Mexico"],
    "Asia Pacific": ["Japan", "Australia", "Singapore", "India"],
    "Latin America": ["Brazil", "Argentina", "Chile"],
}
_PRODUCTS = {
    "Laptops": [("Aero 13", 1199.0), ("Aero 15 Pro", 1799.0), ("Slate 11", 649.0)],
    "Phones": [("Nova X", 899.0), ("Nova Lite", 399.0)],
    "Accessories": [
        ("USB-C Dock", 149.0),
        ("Wireless Mouse", 39.0),
        ("Keyboard K2", 89.0),
        ("Headset H7", 129.0),
    ],
    "Software": [("Office Suite", 99.0), ("Cloud Backup 1y", 59.0)],
}
_CHANNELS = ["Online", "Retail", "Partner"]
_SEGMENTS = ["Consumer", "Small Business", "Enterprise"]
_FIRST = [
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
]
_LAST = [
    "Silva",
    "Müller",
    "Dubois",
    "Smith",
    "García",
    "Tanaka",
    "Kowalski",
    "Okafor",
    "Rossi",
    "Nguyen",
    "Johansson",
    "Patel",
    "Cohen",
    "Haddad",
    "Larsen",
    "Moreau",
    "Kim",
    "Novak",
    "Fischer",
    "Ortiz",
]


def sales_orders(today: dt.date, rows: int = 20_000) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    start = today - dt.timedelta(days=2 * 365 - 1)
    days = (today - start).days + 1
    # More orders later (growth) and in Q4 (season).
    offsets = np.sort((rng.beta(1.25, 1.0, rows) * days).astype(int).clip(0, days - 1))
    dates = pd.to_datetime(start) + pd.to_timedelta(offsets, unit="D")
    regions = rng.choice(list(_REGIONS), rows, p=[0.34, 0.36, 0.2, 0.1])
    countries = [rng.choice(_REGIONS[r]) for r in regions]
    categories = rng.choice(list(_PRODUCTS), rows, p=[0.3, 0.25, 0.3, 0.15])
    picks = [_PRODUCTS[c][rng.integers(len(_PRODUCTS[c]))] for c in categories]
    quantity = rng.choice([1, 1, 1, 2, 2, 3, 5, 10], rows)
    discount = rng.choice([1.0, 1.0, 0.95, 0.9, 0.8], rows)
    season = np.where(dates.month >= 11, 1.1, 1.0)
    revenue = np.round([p[1] for p in picks] * quantity * discount * season, 2)
    margin = np.array([{"Software": 0.85, "Accessories": 0.45}.get(c, 0.22) for c in categories])
    cost = np.round(revenue * (1 - np.minimum(margin * rng.uniform(0.8, 1.2, rows), 0.95)), 2)
    return pd.DataFrame(
        {
            "order_id": np.arange(100_001, 100_001 + rows),
            "order_date": dates.date,
            "region": regions,
            "country": countries,
            "product": [p[0] for p in picks],
            "category": categories,
            "channel": rng.choice(_CHANNELS, rows, p=[0.55, 0.3, 0.15]),
            "quantity": quantity,
            "revenue": revenue,
            "cost": cost,
        }
    )


def web_traffic(today: dt.date) -> pd.DataFrame:
    rng = np.random.default_rng(SEED + 1)
    dates = pd.date_range(end=pd.Timestamp(today), periods=2 * 365, freq="D")
    trend = np.linspace(3_000, 5_200, len(dates))
    weekly = np.where(dates.dayofweek >= 5, 0.62, 1.0) * (1 + 0.06 * np.sin(dates.dayofweek.to_numpy()))
    visits = trend * weekly * rng.normal(1.0, 0.05, len(dates))
    anomalies = rng.choice(len(dates), 6, replace=False)
    visits[anomalies[:3]] *= 2.6  # campaigns and a mention in the press
    visits[anomalies[3:]] *= 0.35  # outages
    visits = visits.round().astype(int)
    signups = (visits * rng.normal(0.032, 0.004, len(dates))).round().astype(int).clip(0)
    bounce = np.round(
        np.clip(rng.normal(0.42, 0.03, len(dates)) + np.where(dates.dayofweek >= 5, 0.05, 0), 0, 1), 3
    )
    return pd.DataFrame({"date": dates.date, "visits": visits, "signups": signups, "bounce_rate": bounce})


def customers(today: dt.date, rows: int = 1_500) -> pd.DataFrame:
    rng = np.random.default_rng(SEED + 2)
    regions = rng.choice(list(_REGIONS), rows, p=[0.34, 0.36, 0.2, 0.1])
    segments = rng.choice(_SEGMENTS, rows, p=[0.6, 0.3, 0.1])
    scale = np.array([{"Consumer": 400, "Small Business": 2_500, "Enterprise": 18_000}[s] for s in segments])
    return pd.DataFrame(
        {
            "customer_id": [f"C{n:05d}" for n in range(1, rows + 1)],
            "name": [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(rows)],
            "country": [rng.choice(_REGIONS[r]) for r in regions],
            "segment": segments,
            "signup_date": [today - dt.timedelta(days=int(d)) for d in rng.integers(1, 3 * 365, rows)],
            "lifetime_value": np.round(rng.lognormal(0, 0.6, rows) * scale, 2),
        }
    )


SAMPLES: dict[str, tuple[str, Callable[[dt.date], pd.DataFrame]]] = {
    "Sample: sales orders": ("sales_orders.csv", sales_orders),
    "Sample: web traffic": ("web_traffic.csv", web_traffic),
    "Sample: customers": ("customers.csv", customers),
}


SAMPLE_FOR_NEW_WORKSPACES = "Sample: sales orders"


def sample_source_create(*, principal: Principal) -> Source:
    """The home page's "use a sample dataset": the sales-orders sample as a file source, ingested like
    an upload (so the plan's limits and the audit apply). One click twice gives the same source."""
    existing = Source.objects.filter(name=SAMPLE_FOR_NEW_WORKSPACES, kind=Source.Kind.FILE).first()
    if existing is not None and existing.status != Source.Status.FAILED:
        return existing
    if existing is not None:
        services.source_delete(source=existing, principal=principal)
    file_name, build = SAMPLES[SAMPLE_FOR_NEW_WORKSPACES]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file_name
        build(dt.date.today()).to_csv(path, index=False)
        return services.source_create_file(
            name=SAMPLE_FOR_NEW_WORKSPACES,
            upload=path,
            original_name=file_name,
            on_bad_rows="error",
            principal=principal,
        )


def seed_demo_content(*, owner: Any, log: Callable[[str], Any] = print) -> None:
    today = dt.date.today()
    for name, (file_name, build) in SAMPLES.items():
        existing = Source.objects.filter(name=name, kind=Source.Kind.FILE).first()
        if existing is not None and existing.status == Source.Status.READY:
            continue
        if existing is not None:
            services.source_delete(source=existing, principal=Principal.for_user(owner))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / file_name
            build(today).to_csv(path, index=False)
            source = services.source_create_file(
                name=name,
                upload=path,
                original_name=file_name,
                on_bad_rows="error",
                principal=Principal.for_user(owner),
            )
        log(f"Sample data source '{name}': {source.status}{f' ({source.error})' if source.error else ''}")
