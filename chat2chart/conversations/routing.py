# SPDX-License-Identifier: MIT
"""Websocket routes of this app."""

from django.urls import path

from chat2chart.conversations.consumers import ConversationConsumer
from chat2chart.conversations.embed_consumers import EmbedChatConsumer

websocket_urlpatterns = [
    path("ws/conversations/<int:pk>/", ConversationConsumer.as_asgi()),
    path("ws/embed/chat/<str:token>/", EmbedChatConsumer.as_asgi()),
]
