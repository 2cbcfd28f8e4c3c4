# SPDX-License-Identifier: MIT
"""Semantic model pages (the JSON API is in `api_urls.py`)."""

from django.urls import path

from chat2chart.semantic import views

urlpatterns = [
    path("models/", views.model_list_page, name="semantic-model-list"),
    path("models/auto/<int:source>/<str:table>/", views.auto_model_page, name="semantic-auto-model"),
    path("models/<int:pk>/", views.model_edit_page, name="semantic-model-edit"),
    path("models/<int:pk>/state/", views.model_state_json, name="semantic-model-state"),
    path("models/<int:pk>/export.zip", views.model_export_zip, name="semantic-model-export-zip"),
]
