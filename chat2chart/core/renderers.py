# SPDX-License-Identifier: MIT
"""The API's JSON renderer: orjson, with every value written exactly as DRF's own renderer wrote it.

orjson writes dicts, lists, strings, numbers, UUIDs, enums and dataclasses itself (several times
faster than the standard library's encoder); dates, times, Decimals, lazy translations, querysets and
numpy values go through DRF's encoder (`rest_framework.utils.encoders.JSONEncoder.default`), so a
datetime is still ISO 8601 with `Z` for UTC and a Decimal still a number. As before: compact, UTF-8,
U+2028/U+2029 escaped, non-string keys written as strings, `; indent=N` in Accept pretty-prints (orjson
indents by two whatever N is). Unlike before, NaN and infinities become null instead of a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_drf_default = JSONEncoder().default


class OrjsonRenderer(BaseRenderer):
    """`application/json` by orjson (DEFAULT_RENDERER_CLASSES); returns bytes."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        options = _OPTIONS
        if JSONRenderer().get_indent(accepted_media_type or "", dict(renderer_context or {})):
            options |= orjson.OPT_INDENT_2
        body = orjson.dumps(data, default=_drf_default, option=options)
        # As DRF does: JSON that is also a strict subset of JavaScript.
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
