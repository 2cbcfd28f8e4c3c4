# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Plans in the platform admin: an operator links each paid plan to its Stripe price and sets its limits.
Subscriptions are shown read-only: Stripe's webhooks keep them current."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from enterprise.billing.models import Plan, Subscription


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "rank", "monthly_price_cents", "stripe_price_id", "seats", "public")
    ordering = ("rank",)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "plan",
        "status",
        "trial_ends_at",
        "current_period_end",
        "cancel_at_period_end",
    )
    list_filter = ("status", "plan")
    search_fields = ("organization__slug", "stripe_customer_id", "stripe_subscription_id")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
