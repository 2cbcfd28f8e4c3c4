# SPDX-License-Identifier: MIT
"""Every app's websocket routes."""

from chat2chart.conversations.routing import websocket_urlpatterns as conversation_routes

websocket_urlpatterns = [*conversation_routes]
