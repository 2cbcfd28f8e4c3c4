# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The three plans every installation starts with. An operator links each paid plan to its Stripe price
(`stripe_price_id`) and changes limits in the admin."""

from django.db import migrations

PLANS = [
    {
        "slug": "free", "name": "Free", "rank": 0, "monthly_price_cents": 0, "seats": 3, "data_sources": 3,
        "rows_stored": 1_000_000, "questions_per_month": 100, "llm_tokens_per_month": 500_000,
        "dashboards": 5, "embed_views_per_month": 1_000, "api_requests_per_minute": 60,
        "sso_allowed": False, "audit_retention_days": 7,
    },
    {
        "slug": "team", "name": "Team", "rank": 10, "monthly_price_cents": 4_900, "seats": 10,
        "data_sources": 20, "rows_stored": 50_000_000, "questions_per_month": 2_000,
        "llm_tokens_per_month": 10_000_000, "dashboards": 50, "embed_views_per_month": 50_000,
        "api_requests_per_minute": 600, "sso_allowed": False, "audit_retention_days": 90,
    },
    {
        "slug": "business", "name": "Business", "rank": 20, "monthly_price_cents": 29_900, "seats": 100,
        "data_sources": None, "rows_stored": 1_000_000_000, "questions_per_month": 20_000,
        "llm_tokens_per_month": 100_000_000, "dashboards": None, "embed_views_per_month": 1_000_000,
        "api_requests_per_minute": 3_000, "sso_allowed": True, "audit_retention_days": 365,
    },
]  # fmt: skip


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in PLANS:
        Plan.objects.get_or_create(slug=plan["slug"], defaults=plan)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_plans_subscriptions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
