# SPDX-License-Identifier: MIT
"""The members page in a real browser: an owner changes a member's role and creates a group."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.enterprise]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_an_owner_changes_a_role_and_creates_a_group(live_server, page, login, workspaces, committed):
    from chat2chart.accounts.services import user_ensure_verified
    from enterprise.rbac.models import Group
    from enterprise.tenants.models import Membership

    alpha = workspaces["alpha"]
    suffix = uuid.uuid4().hex[:8]
    email, group_name = f"robin-{suffix}@alpha.test", f"Finance {suffix}"
    with committed():
        user = user_ensure_verified(email=email, password="not-used-here-123")
        membership = Membership.objects.create(user=user, organization=alpha.organization, role="viewer")
    try:
        login(page, alpha, "owner")
        page.goto(live_server.url(alpha, "/settings/members/"))
        row = page.locator(f"tr[data-member='{email}']")
        row.get_by_label(f"Role of {email}").select_option("editor")
        row.get_by_role("button", name="Change role").click()
        page.wait_for_selector("text=Role changed.")
        assert page.locator(f"tr[data-member='{email}'] select").input_value() == "editor"

        page.get_by_label("New group").fill(group_name)
        page.get_by_label("Group role").select_option("editor")
        page.get_by_role("button", name="Create group").click()
        page.wait_for_selector("text=Group created.")
        group_row = page.locator(f"tr[data-group='{group_name}']")
        group_row.get_by_label(f"Add to {group_name}").select_option(label=email)
        group_row.get_by_role("button", name="Add").click()
        page.wait_for_selector("text=Group changed.")
        assert email in page.locator(f"tr[data-group='{group_name}']").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "members-page.png"), full_page=True)

        with committed():
            membership.refresh_from_db()
            group = Group.objects.get(organization=alpha.organization, name=group_name)
            assert membership.role == "editor"
            assert list(group.members.values_list("email", flat=True)) == [email]
            assert group.role == "editor"
        assert page.console_errors == []
    finally:
        with committed():
            Group.objects.filter(organization=alpha.organization, name=group_name).delete()
            Membership.objects.filter(pk=membership.pk).delete()
            user.delete()
