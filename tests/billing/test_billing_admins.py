# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Who manages billing: owners and "billing admins" (any role holding the "billing.manage" permission), not
organisation admins, whose role leaves money out; usage is readable by both."""

from __future__ import annotations

import pytest

from tests.rbac.helpers import add_member, create_role, membership_id, send

pytestmark = pytest.mark.enterprise

BILLING_ADMIN = ["sources.view", "sources.query", "billing.manage"]


@pytest.fixture
def billing_admin(alpha):
    role = create_role(alpha, "Billing admin", BILLING_ADMIN).json()
    user, client = add_member(alpha, "finance@alpha.test")
    changed = send(
        alpha.client("owner"),
        "patch",
        f"/api/v1/members/{membership_id(alpha, user)}/",
        {"custom_role": role["id"]},
    )
    assert changed.status_code == 200, changed.content
    return client


def test_owners_and_billing_admins_open_the_billing_page_and_admins_do_not(alpha, billing_admin):
    assert alpha.client("owner").get("/settings/billing/").status_code == 200
    page = billing_admin.get("/settings/billing/")
    assert page.status_code == 200
    assert b"Billing" in page.content
    assert alpha.client("admin").get("/settings/billing/").status_code == 404
    assert alpha.client("viewer").get("/settings/billing/").status_code == 404


def test_a_billing_admin_changes_billing_details_and_an_admin_cannot(alpha, billing_admin):
    from enterprise.billing.models import Subscription

    refused = alpha.client("admin").post(
        "/settings/billing/details/", {"billing_email": "admin@alpha.test", "tax_id": ""}
    )
    assert refused.status_code == 404
    saved = billing_admin.post("/settings/billing/details/", {"billing_email": "ap@alpha.test", "tax_id": ""})
    assert saved.status_code == 302
    subscription = Subscription.objects.filter(organization=alpha.organization).first()
    assert subscription is not None
    assert subscription.billing_email == "ap@alpha.test"


def test_usage_is_readable_by_billing_admins_and_admins_only(alpha, billing_admin):
    assert billing_admin.get("/settings/billing/usage/").status_code == 200
    assert alpha.client("admin").get("/settings/billing/usage/").status_code == 200
    assert alpha.client("editor").get("/settings/billing/usage/").status_code == 404


def test_a_billing_admin_of_one_organisation_has_no_billing_rights_in_another(alpha, beta, billing_admin):
    # The same person is a plain viewer in beta (add_member finds the existing account by its email).
    _, in_beta = add_member(beta, "finance@alpha.test")
    assert in_beta.get("/settings/billing/").status_code == 404
    assert billing_admin.get("/settings/billing/").status_code == 200
