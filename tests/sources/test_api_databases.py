# SPDX-License-Identifier: MIT
"""Database sources through the API, against real servers: a PostgreSQL database created for the test
on the local server and the local MariaDB (skipped when unreachable)."""

from __future__ import annotations

import os

import psycopg
import pytest

from tests.sources.engines import customer_mariadb_database, customer_postgres_database
from tests.sources.fixtures_api import error_message, patch_json, post_json, run_query

PG_PASSWORD = "pg-Secret-never-shown-42"
MY_PASSWORD = "my-Secret-never-shown-42"
ORDERS = [("North", 10.5), ("North", 20.0), ("South", 7.25), ("East", 100.0)]
SUM_BY_REGION = {
    "table": "orders",
    "measures": [{"field": "amount", "agg": "sum"}],
    "dimensions": [{"field": "region"}],
    "order": [{"field": "region"}],
}


@pytest.fixture(scope="module")
def customer_postgres():
    """A customer's PostgreSQL database on the local server, with a table and a function that writes."""

    def fill(conn):
        conn.execute(
            "CREATE TABLE orders (id serial PRIMARY KEY, region text NOT NULL, amount numeric(10,2))"
        )
        conn.cursor().executemany("INSERT INTO orders (region, amount) VALUES (%s, %s)", ORDERS)
        conn.execute(
            "CREATE FUNCTION sneaky_write() RETURNS integer LANGUAGE sql AS "
            "$$ INSERT INTO orders (region, amount) VALUES ('Hacked', 0) RETURNING 1 $$"
        )
        conn.execute("ANALYZE orders")

    with customer_postgres_database(f"aiser_customer_db_{os.getpid()}", fill) as config:
        yield {**config, "password": PG_PASSWORD}


@pytest.fixture(scope="module")
def customer_mariadb():
    """A customer's MariaDB database with a table, a function that writes, and a reader account."""
    name = f"aiser_customer_db_{os.getpid()}"
    user = f"aiser_reader_{os.getpid()}"

    def fill(cursor):
        cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", [MY_PASSWORD])
        cursor.execute(f"GRANT SELECT, INSERT, EXECUTE ON `{name}`.* TO '{user}'@'%'")
        cursor.execute(
            "CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, region varchar(20), "
            "amount decimal(10,2))"
        )
        cursor.executemany("INSERT INTO orders (region, amount) VALUES (%s, %s)", ORDERS)
        cursor.execute(
            "CREATE FUNCTION sneaky_write() RETURNS int MODIFIES SQL DATA SQL SECURITY INVOKER "
            "BEGIN INSERT INTO orders (region, amount) VALUES ('Hacked', 0); RETURN 1; END"
        )
        cursor.execute("SELECT 1")

    with customer_mariadb_database(name, fill) as config:
        try:
            yield {**config, "user": user, "password": MY_PASSWORD}
        finally:
            _drop_user(config, user)


def _drop_user(config, user):
    import pymysql

    admin = pymysql.connect(
        host=config["host"], port=config["port"], user="root", password="", autocommit=True
    )
    with admin.cursor() as cursor:
        cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
    admin.close()


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True


def _create(client, kind, config, name="Customer DB"):
    return post_json(client, "/api/v1/sources/", {"name": name, "kind": kind, "config": config})


def _all_responses_text(client, source_id):
    urls = [
        "/api/v1/sources/",
        f"/api/v1/sources/{source_id}/",
        f"/api/v1/sources/{source_id}/tables/",
        f"/api/v1/sources/{source_id}/tables/orders/",
        f"/api/v1/sources/{source_id}/tables/orders/preview/",
    ]
    return "".join(client.get(url).content.decode() for url in urls)


def test_postgres_source_is_tested_introspected_and_answers_queries(alpha, customer_postgres):
    client = alpha.client("editor")
    created = _create(client, "postgres", customer_postgres)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "ready"
    assert body["tables"] == ["orders"]
    assert body["password_set"] is True
    assert "password" not in body["config"]

    tables = client.get(f"/api/v1/sources/{body['id']}/tables/").json()
    assert {c["name"]: c["type"] for c in tables[0]["columns"]} == {
        "id": "integer",
        "region": "text",
        "amount": "decimal",
    }
    answer = run_query(client, body["id"], SUM_BY_REGION)
    assert answer.status_code == 200, answer.content
    assert answer.json()["rows"] == [["East", 100.0], ["North", 30.5], ["South", 7.25]]
    preview = client.get(f"/api/v1/sources/{body['id']}/tables/orders/preview/").json()
    assert len(preview["rows"]) == 4


def test_the_password_is_never_in_any_response_and_encrypted_at_rest(alpha, customer_postgres):
    from chat2chart.sources.models import Source

    client = alpha.client("owner")
    source_id = _create(client, "postgres", customer_postgres).json()["id"]
    assert PG_PASSWORD not in _all_responses_text(client, source_id)
    with alpha.activate():
        stored = Source.objects.get(pk=source_id)
        assert PG_PASSWORD.encode() not in bytes(stored.secret)
        assert PG_PASSWORD not in str(stored.config)


def test_updating_without_a_password_keeps_the_stored_one(alpha, customer_postgres):
    from chat2chart.core.secrets import decrypt_secret
    from chat2chart.sources.models import Source

    client = alpha.client("editor")
    source_id = _create(client, "postgres", customer_postgres).json()["id"]
    # Settings sent again unchanged are no change of destination (security issue #4: any change is).
    response = patch_json(
        client,
        f"/api/v1/sources/{source_id}/",
        {"name": "Renamed", "config": {"sslmode": "prefer"}, "refresh_interval_minutes": 60},
    )
    assert response.status_code == 200, response.content
    assert response.json()["config"]["sslmode"] == "prefer"
    assert response.json()["refresh_interval_minutes"] == 60
    with alpha.activate():
        assert decrypt_secret(Source.objects.get(pk=source_id).secret) == {"password": PG_PASSWORD}
    changed = patch_json(
        client,
        f"/api/v1/sources/{source_id}/",
        {"config": {"sslmode": "disable", "password": PG_PASSWORD}},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["config"]["sslmode"] == "disable"
    with alpha.activate():
        assert decrypt_secret(Source.objects.get(pk=source_id).secret) == {"password": PG_PASSWORD}


def test_pointing_a_source_at_another_host_needs_the_password_again(alpha, customer_postgres):
    client = alpha.client("editor")
    source_id = _create(client, "postgres", customer_postgres).json()["id"]
    response = patch_json(client, f"/api/v1/sources/{source_id}/", {"config": {"host": "127.0.0.2"}})
    assert response.status_code == 400
    assert error_message(response).startswith("config.password")


def test_a_failing_connection_is_400_saying_what_failed_without_the_password(alpha, customer_postgres):
    client = alpha.client("editor")
    response = _create(client, "postgres", {**customer_postgres, "database": "no_such_database_here"})
    assert response.status_code == 400
    assert "does not exist" in error_message(response)
    assert PG_PASSWORD not in response.content.decode()
    assert "Customer DB" not in [s["name"] for s in client.get("/api/v1/sources/").json()]


def test_connection_settings_are_strictly_typed(alpha, customer_postgres):
    client = alpha.client("editor")
    as_text = _create(client, "postgres", {**customer_postgres, "port": "5432"})
    assert as_text.status_code == 400
    assert "port" in error_message(as_text)
    dsn = _create(client, "postgres", {**customer_postgres, "options": "-c search_path=evil"})
    assert dsn.status_code == 400
    assert "options" in error_message(dsn)
    config_as_text = post_json(
        client, "/api/v1/sources/", {"name": "x", "kind": "postgres", "config": "host=x"}
    )
    assert config_as_text.status_code == 400
    assert error_message(config_as_text).startswith("config:")


def test_test_connection_checks_settings_without_saving(alpha, customer_postgres):
    client = alpha.client("editor")
    listed_before = client.get("/api/v1/sources/").json()
    ok = post_json(
        client, "/api/v1/sources/test-connection/", {"kind": "postgres", "config": customer_postgres}
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["ok"] is True
    bad = post_json(
        client,
        "/api/v1/sources/test-connection/",
        {"kind": "postgres", "config": {**customer_postgres, "port": 1}},
    )
    assert bad.status_code == 400
    assert PG_PASSWORD not in bad.content.decode()
    assert client.get("/api/v1/sources/").json() == listed_before


def test_a_query_that_tries_to_write_is_refused_by_the_postgres_server(alpha, customer_postgres):
    client = alpha.client("editor")
    source_id = _create(client, "postgres", customer_postgres).json()["id"]
    response = post_json(client, "/api/v1/sql/", {"source": source_id, "sql": "SELECT sneaky_write()"})
    assert response.status_code == 400
    assert "read-only" in error_message(response)
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=customer_postgres["database"]) as conn:
        assert conn.execute("SELECT count(*) FROM orders WHERE region = 'Hacked'").fetchone()[0] == 0


def test_a_read_only_select_runs_through_the_sql_endpoint(alpha, customer_postgres):
    client = alpha.client("editor")
    source_id = _create(client, "postgres", customer_postgres).json()["id"]
    response = post_json(
        client, "/api/v1/sql/", {"source": source_id, "sql": "SELECT count(*) AS n FROM orders"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["rows"] == [[4]]


def test_refreshing_a_database_source_reintrospects_it_and_bumps_the_version(alpha, customer_postgres):
    client = alpha.client("editor")
    created = _create(client, "postgres", customer_postgres).json()
    run_query(client, created["id"], SUM_BY_REGION)
    refreshed = client.post(f"/api/v1/sources/{created['id']}/refresh/")
    assert refreshed.status_code == 202
    assert refreshed.json()["version"] == created["version"] + 1
    assert run_query(client, created["id"], SUM_BY_REGION).json()["cached"] is False


@pytest.mark.mysql
def test_mariadb_source_answers_queries_and_hides_its_password(alpha, customer_mariadb):
    client = alpha.client("editor")
    created = _create(client, "mysql", customer_mariadb)
    assert created.status_code == 201, created.content
    source_id = created.json()["id"]
    assert created.json()["password_set"] is True
    answer = run_query(client, source_id, SUM_BY_REGION)
    assert answer.status_code == 200, answer.content
    assert answer.json()["rows"] == [["East", 100.0], ["North", 30.5], ["South", 7.25]]
    assert MY_PASSWORD not in _all_responses_text(client, source_id)


@pytest.mark.mysql
def test_a_wrong_mariadb_password_is_400_without_echoing_it(alpha, customer_mariadb):
    wrong = "Wrong-password-123"
    response = _create(alpha.client("editor"), "mysql", {**customer_mariadb, "password": wrong})
    assert response.status_code == 400
    assert "authentication failed" in error_message(response)
    assert wrong not in response.content.decode()
    assert MY_PASSWORD not in response.content.decode()


@pytest.mark.mysql
def test_a_query_that_tries_to_write_is_refused_by_mariadb(alpha, customer_mariadb):
    import pymysql

    client = alpha.client("editor")
    source_id = _create(client, "mysql", customer_mariadb).json()["id"]
    response = post_json(client, "/api/v1/sql/", {"source": source_id, "sql": "SELECT sneaky_write()"})
    assert response.status_code == 400
    assert "read-only" in error_message(response) or "READ ONLY" in error_message(response)
    conn = pymysql.connect(
        host=customer_mariadb["host"],
        port=customer_mariadb["port"],
        user="root",
        database=customer_mariadb["database"],
    )
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders WHERE region = 'Hacked'")
        assert cursor.fetchone()[0] == 0
    conn.close()


def test_rotating_keys_reencrypts_passwords_with_the_new_first_key(alpha, customer_postgres, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from chat2chart.core.secrets import decrypt_secret
    from chat2chart.sources.models import Source

    client = alpha.client("editor")
    source_id = _create(client, "postgres", customer_postgres).json()["id"]
    old_keys = list(settings.AISER_FERNET_KEYS)
    new_key = Fernet.generate_key().decode()
    settings.AISER_FERNET_KEYS = [new_key, *old_keys]
    call_command("rotate_secrets", workspace=[alpha.workspace_name])

    settings.AISER_FERNET_KEYS = [new_key]
    with alpha.activate():
        assert decrypt_secret(Source.objects.get(pk=source_id).secret) == {"password": PG_PASSWORD}
    assert run_query(client, source_id, SUM_BY_REGION).status_code == 200
