# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.conversations import embed_views, views

urlpatterns = [
    path("chat/", views.chat, name="chat"),
    path("chat/<int:pk>/", views.chat, name="chat_conversation"),
    path("chat/embedded/", views.embedded_conversations, name="chat-embedded"),
    path("embed/chat.js", embed_views.embed_chat_script, name="embed-chat-script"),
    path("embed/chat/<str:token>", embed_views.embed_chat_page, name="embed-chat"),
    path("embed/chat/<str:token>/history/", embed_views.embed_chat_history, name="embed-chat-history"),
    path("embed/chat/<str:token>/messages/", embed_views.embed_chat_ask, name="embed-chat-ask"),
]
