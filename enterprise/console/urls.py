# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The console's URLs, included on the public site only (aiser/urls_public.py)."""

from django.urls import path

from enterprise.console import views

urlpatterns = [
    path("", views.console_home, name="console_home"),
    path("organizations/<slug:slug>/", views.console_organization, name="console_organization"),
    path("organizations/<slug:slug>/suspend/", views.console_suspend, name="console_suspend"),
    path("organizations/<slug:slug>/reactivate/", views.console_reactivate, name="console_reactivate"),
    path("organizations/<slug:slug>/terms/", views.console_terms, name="console_terms"),
    path("organizations/<slug:slug>/trial/", views.console_trial, name="console_trial"),
    path("organizations/<slug:slug>/backups/", views.console_backup, name="console_backup"),
    path("organizations/<slug:slug>/restore/", views.console_restore, name="console_restore"),
]
