# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chat2chart.accounts"
    label = "accounts"
    verbose_name = "Accounts"
