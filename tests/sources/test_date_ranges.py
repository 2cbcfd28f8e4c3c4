# SPDX-License-Identifier: MIT
"""Date ranges cover whole days in every dialect: `2024-01-01..2024-01-31` on a date-time column keeps
all of 31 January. Checked through the query API on an uploaded file, a PostgreSQL database and a
MariaDB database, against pandas over the same rows."""

from __future__ import annotations

import io
import os

import pandas as pd
import pytest

from tests.sources.engines import customer_mariadb_database, customer_postgres_database
from tests.sources.fixtures_api import post_json, run_query, upload_source

# Events through January and early February, many on the last day of January at various times.
EVENTS = [
    ("2024-01-01 00:00:00", "North", 10.0),
    ("2024-01-15 12:30:00", "North", 20.0),
    ("2024-01-31 00:00:00", "South", 1.0),
    ("2024-01-31 09:15:00", "South", 2.0),
    ("2024-01-31 18:45:30", "North", 4.0),
    ("2024-01-31 23:59:59", "East", 8.0),
    ("2024-02-01 00:00:00", "East", 16.0),
    ("2024-02-10 08:00:00", "North", 32.0),
]
CSV = "happened_at,region,amount\n" + "".join(f"{t},{r},{a}\n" for t, r, a in EVENTS)


def _gold_total(low: str, high_inclusive_day: str) -> float:
    frame = pd.read_csv(io.StringIO(CSV), parse_dates=["happened_at"])
    start = pd.Timestamp(low)
    end = pd.Timestamp(high_inclusive_day) + pd.Timedelta(days=1)
    return float(frame.loc[(frame.happened_at >= start) & (frame.happened_at < end), "amount"].sum())


def _total(client, source_id, table, flt):
    response = run_query(
        client,
        source_id,
        {"table": table, "measures": [{"field": "amount", "agg": "sum"}], "filters": [flt]},
    )
    assert response.status_code == 200, response.content
    return response.json()["rows"][0][0]


def _uploaded(alpha):
    client = alpha.client()
    response = upload_source(client, CSV, file_name="events.csv")
    assert response.status_code == 201, response.content
    source = response.json()
    assert source["status"] == "ready", source
    return client, source["id"]


def test_a_date_range_on_a_datetime_column_keeps_the_whole_last_day(alpha):
    client, source_id = _uploaded(alpha)
    flt = {"field": "happened_at", "op": "between", "value": ["2024-01-01", "2024-01-31"]}
    total = _total(client, source_id, "events", flt)
    assert total == pytest.approx(_gold_total("2024-01-01", "2024-01-31"))
    assert total == pytest.approx(45.0)  # every January row, none of February


def test_a_range_ending_with_a_time_of_day_stays_inclusive_as_written(alpha):
    client, source_id = _uploaded(alpha)
    flt = {"field": "happened_at", "op": "between", "value": ["2024-01-31T09:15:00", "2024-01-31T18:45:30"]}
    assert _total(client, source_id, "events", flt) == pytest.approx(6.0)


@pytest.mark.parametrize(
    ("op", "day", "expected"),
    [
        ("eq", "2024-01-31", 15.0),  # the whole day
        ("lte", "2024-01-31", 45.0),  # up to the end of that day
        ("gt", "2024-01-31", 48.0),  # from the next day on
        ("lt", "2024-01-31", 30.0),
        ("gte", "2024-01-31", 63.0),
        ("neq", "2024-01-31", 78.0),
    ],
)
def test_comparing_a_datetime_with_a_calendar_day_means_the_whole_day(alpha, op, day, expected):
    client, source_id = _uploaded(alpha)
    frame = pd.read_csv(io.StringIO(CSV), parse_dates=["happened_at"])
    start, end = pd.Timestamp(day), pd.Timestamp(day) + pd.Timedelta(days=1)
    masks = {
        "eq": (frame.happened_at >= start) & (frame.happened_at < end),
        "lte": frame.happened_at < end,
        "gt": frame.happened_at >= end,
        "lt": frame.happened_at < start,
        "gte": frame.happened_at >= start,
        "neq": (frame.happened_at < start) | (frame.happened_at >= end),
    }
    gold = float(frame.loc[masks[op], "amount"].sum())
    assert gold == expected
    assert _total(client, source_id, "events", {"field": "happened_at", "op": op, "value": day}) == gold


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True


@pytest.fixture(scope="module")
def events_postgres():
    def fill(conn):
        conn.execute("CREATE TABLE events (happened_at timestamp, region text, amount numeric(10,2))")
        conn.cursor().executemany("INSERT INTO events VALUES (%s, %s, %s)", EVENTS)

    with customer_postgres_database(f"aiser_dates_db_{os.getpid()}", fill) as config:
        yield config


@pytest.fixture(scope="module")
def events_mariadb():
    def fill(cursor):
        cursor.execute("CREATE TABLE events (happened_at datetime, region varchar(20), amount decimal(10,2))")
        cursor.executemany("INSERT INTO events VALUES (%s, %s, %s)", EVENTS)

    with customer_mariadb_database(f"aiser_dates_db_{os.getpid()}", fill) as config:
        yield config


@pytest.mark.parametrize(("kind", "fixture"), [("postgres", "events_postgres"), ("mysql", "events_mariadb")])
def test_database_sources_cover_the_whole_last_day_too(alpha, kind, fixture, request):
    config = request.getfixturevalue(fixture)
    client = alpha.client()
    created = post_json(
        client, "/api/v1/sources/", {"name": f"Events {kind}", "kind": kind, "config": config}
    )
    assert created.status_code == 201, created.content
    flt = {"field": "happened_at", "op": "between", "value": ["2024-01-01", "2024-01-31"]}
    assert _total(client, created.json()["id"], "events", flt) == pytest.approx(
        _gold_total("2024-01-01", "2024-01-31")
    )
