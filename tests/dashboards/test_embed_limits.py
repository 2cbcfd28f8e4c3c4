# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Embed views are metered and stop at the plan's monthly limit with a plain page, only for that
organisation."""

import pytest

from tests.dashboards.conftest import set_up_embedding, sign

pytestmark = pytest.mark.enterprise


@pytest.fixture
def secret(alpha):
    with alpha.activate():
        return set_up_embedding(alpha)


def test_embed_views_stop_one_over_the_limit(alpha, dashboard, secret):
    from enterprise.billing.limits import usage_of
    from enterprise.billing.models import PlanLimit
    from enterprise.billing.services import usage_drain

    usage_drain()
    PlanLimit.objects.create(
        organization=alpha.organization,
        event="embed_view",
        monthly_quantity=usage_of(alpha.organization, "embed_view") + 1,
    )
    url = f"/embed/dashboard/{sign(alpha, secret, dashboard.pk, params={'customer_id': 1})}"

    last = alpha.anonymous_client().get(url)
    over = alpha.anonymous_client().get(url)

    assert last.status_code == 200
    assert over.status_code == 429
    assert b"embed views for this month are used up" in over.content
    assert b"Billing" not in over.content  # a visitor sees no plan details
