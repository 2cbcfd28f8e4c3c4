# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.accounts import views

urlpatterns = [
    path("accounts/security/", views.security, name="account_security"),
    path("accounts/security/sessions/<int:pk>/end/", views.session_end, name="account_session_end"),
    path("accounts/security/sessions/end-all/", views.sessions_end_all, name="account_sessions_end_all"),
]
