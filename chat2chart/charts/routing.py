# SPDX-License-Identifier: MIT
"""Websocket routes of this app."""

websocket_urlpatterns: list = []
