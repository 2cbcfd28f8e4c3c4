# SPDX-License-Identifier: MIT
"""`{{ value|ago }}`: a `<time>` saying how long ago, with the exact time on hover and for machines."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from chat2chart.core.timeago import time_ago

register = template.Library()


@register.filter
def ago(value: dt.datetime | None) -> SafeString | str:
    """ "" for None; else `<time datetime="ISO" title="29 Nov 2026, 19:40">3 minutes ago</time>`."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        local.strftime("%-d %b %Y, %H:%M"),
        time_ago(value, timezone.now()),
    )
