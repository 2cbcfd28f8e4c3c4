# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "chat2chart.conversations"
    label = "conversations"
