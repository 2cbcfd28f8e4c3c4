# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "chat2chart.subscriptions"
    label = "subscriptions"
