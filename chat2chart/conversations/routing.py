# SPDX-License-Identifier: MIT
"""Websocket routes of this app."""

from django.urls import path

from chat2chart.conversations.consumers import ConversationConsumer

websocket_urlpatterns = [
    path("ws/conversations/<int:pk>/", ConversationConsumer.as_asgi()),
]
