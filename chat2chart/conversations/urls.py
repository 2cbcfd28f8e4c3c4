# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.conversations import views

urlpatterns = [
    path("chat/", views.chat, name="chat"),
    path("chat/<int:pk>/", views.chat, name="chat_conversation"),
]
