# SPDX-License-Identifier: MIT
"""Subscription pages: the list (with history), the Subscribe form, delete, unsubscribe."""

from django.urls import path

from chat2chart.subscriptions import views

urlpatterns = [
    path("subscriptions/", views.subscription_list_page, name="subscription-list"),
    path("subscriptions/new/", views.subscription_new_page, name="subscription-new"),
    path("dashboards/<int:pk>/export.<str:fmt>", views.dashboard_export_page, name="dashboard-export"),
    path("subscriptions/<int:pk>/edit/", views.subscription_edit_page, name="subscription-edit"),
    path("subscriptions/<int:pk>/delete/", views.subscription_delete_page, name="subscription-delete"),
    # Under /public/: open to people who are not members (external recipients) and signed out.
    path("public/unsubscribe/<str:token>/", views.unsubscribe_page, name="subscription-unsubscribe"),
]
