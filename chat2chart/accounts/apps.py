# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chat2chart.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in
        from django.contrib.auth.signals import user_login_failed

        from chat2chart.accounts import signals

        user_logged_in.connect(signals.on_user_logged_in, dispatch_uid="aiser-login-history")
        user_login_failed.connect(signals.on_user_login_failed, dispatch_uid="aiser-login-history-failed")
