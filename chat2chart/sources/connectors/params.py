# SPDX-License-Identifier: MIT
"""Connection parameters a user may give for a database source, and nothing more.

Strict pydantic models: unknown keys are refused (libpq `options`, `passfile`, `sslkey`, MySQL
`local_infile`, `init_command`...), and the values that reach a driver cannot smuggle in a DSN,
a socket path or a second option.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from chat2chart.core.errors import ValidationFailed
from chat2chart.sources.sqlguard import SPARK_FILE_FORMATS

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URI_PREFIX = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://")


def _host(value: str) -> str:
    text = value.strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if not _HOSTNAME.match(text):
        raise ValueError("must be a host name or an IP address (no URL, socket path, spaces or '=')")
    return text.lower()


def _name(value: str) -> str:
    # libpq reads a dbname holding '=' or a URI prefix as a whole connection string.
    if not value or len(value) > 128:
        raise ValueError("must be 1 to 128 characters")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if "=" in value or _URI_PREFIX.match(value):
        raise ValueError("must be a plain name, not a connection string")
    return value


def _password(value: str) -> str:
    if "\x00" in value or len(value) > 1024:
        raise ValueError("must be at most 1024 characters, without NUL")
    return value


Host = Annotated[str, AfterValidator(_host)]
Name = Annotated[str, AfterValidator(_name)]
Port = Annotated[int, Field(ge=1, le=65535)]
Password = Annotated[str, AfterValidator(_password), Field(repr=False)]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PostgresParams(_Params):
    host: Host
    port: Port = 5432
    database: Name
    user: Name
    password: Password = ""
    # "schema" would shadow a BaseModel attribute, hence the alias.
    schema_: Name | None = Field(default=None, alias="schema")
    sslmode: SslMode = "prefer"

    @property
    def schema_name(self) -> str:
        return self.schema_ or "public"


class MySQLParams(_Params):
    host: Host
    port: Port = 3306
    database: Name
    user: Name
    password: Password = ""
    ssl: bool = False


class SparkParams(_Params):
    """A Spark Connect endpoint, dialled as `sc://host:port`; `database` is the Spark database
    (namespace) whose tables the source shows. `password` is an optional bearer token, which
    Spark Connect only sends over TLS."""

    host: Host
    port: Port = 15002
    database: Name = "default"
    user: Name | None = None
    password: Password = ""
    ssl: bool = False

    @model_validator(mode="after")
    def _token_needs_tls(self) -> SparkParams:
        # Spark reads `parquet`.`/a/path` as a file: a database named after a format would do that.
        if self.database.lower() in SPARK_FILE_FORMATS:
            raise ValueError(f"database '{self.database}' names a file format; use a Spark database")
        if self.password and not self.ssl:
            raise ValueError("a Spark Connect token is only sent over TLS; turn on ssl")
        return self


ParamsT = TypeVar("ParamsT", bound=_Params)


def parse_params(model: type[ParamsT], data: Any) -> ParamsT:
    """Validate user input into `model`, or raise ValidationFailed naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors(include_input=False, include_url=False)]
        raise ValidationFailed("; ".join(problems), details=problems) from None


def _problem(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "parameters"
    if error["type"] == "extra_forbidden":
        return f"connection parameter '{field}' is not allowed"
    if error["type"] == "missing":
        return f"connection parameter '{field}' is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"connection parameter '{field}': {message}"
