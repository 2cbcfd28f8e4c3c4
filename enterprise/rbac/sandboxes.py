# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Row access rules ("data sandboxes"): on one table of a data source, members see only the rows whose
column equals one of their values of an attribute (region = the member's `region`).

`row_rules_for` is the core's `row_filters` hook (listed in `AISER_HOOK_PLUGINS["row_filters"]`); the
core turns its rules into filters on every query, preview and model query, and refuses raw SQL
(`chat2chart/sources/rowaccess.py`). Owners and admins are not limited (as they see every restricted
object); a member who lacks the attribute sees no rows, never all of them. Managing rules needs
both "sources.manage" and "members.manage" (admins), so an editor limited by a rule cannot lift it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound, ValidationFailed
from chat2chart.core.hooks import RowRule
from chat2chart.core.memo import request_memo
from chat2chart.core.principal import Principal
from chat2chart.sources import selectors as source_selectors
from enterprise.rbac import cached
from enterprise.rbac.access import SEES_EVERYTHING, organization_id_in_scope
from enterprise.rbac.attributes import KEY, member_attributes
from enterprise.rbac.models import MemberAttribute, TableRule
from enterprise.rbac.services import has_permission
from enterprise.tenants.models import Organization

NO_ATTRIBUTE_NOTE = "Members without the attribute see no rows of the table."
_RuleRow = tuple[int, str, str, str]  # source id, table, column, attribute


def row_rules_for(principal: Principal, source: Any, table_name: str) -> list[RowRule]:
    """The core's `row_filters` hook: for each rule on `table_name` of `source`, the column and the
    principal's values of the rule's attribute (none: no rows). An API key is limited by its creator's
    attributes; owners and admins (and their keys of that role) and embed viewers are not limited
    here (an embed's locked values limit it)."""
    if principal.user_id is None or principal.kind == "embed" or principal.role in SEES_EVERYTHING:
        return []
    organization_id = organization_id_in_scope()
    if organization_id is None:
        return []
    rules = [r for r in _organization_rules(organization_id) if r[0] == source.pk and r[1] == table_name]
    if not rules:
        return []
    attributes = _attributes(organization_id, principal.user_id)
    return [
        RowRule(column=column, values=tuple(attributes.get(attribute, ())))
        for _, _, column, attribute in rules
    ]


def table_rule_list(*, organization: Organization, source_id: int | None = None) -> list[TableRule]:
    """The organisation's rules, of one source when `source_id` is given."""
    rules = TableRule.objects.filter(organization=organization)
    if source_id is not None:
        rules = rules.filter(source_id=source_id)
    return list(rules)


def table_rule_create(
    *,
    principal: Principal,
    organization: Organization,
    source_id: int,
    table_name: str,
    column: str,
    attribute: str,
) -> TableRule:
    """A rule "`column` of `table_name` must equal the member's `attribute`" on a source of the
    organisation in scope. The column is matched case-insensitively and stored as the table names it.
    Raises Forbidden (not an admin), NotFound (no such source or table), ValidationFailed."""
    _require_manager(principal)
    source = source_selectors.source_get(source_id)
    table = source_selectors.source_table_get(source, str(table_name or ""))
    columns = [c.get("name", "") for c in (table.catalogue or {}).get("columns", [])]
    found = next((c for c in columns if c.casefold() == str(column or "").casefold()), None)
    if found is None:
        choices = ", ".join(columns[:30])
        raise ValidationFailed(
            f"column: '{column}' is not a column of '{table.name}'; choose one of {choices}."
        )
    if not isinstance(attribute, str) or not KEY.match(attribute):
        raise ValidationFailed(
            "attribute: use letters, digits, _ . or -, starting with a letter (at most 60 characters)."
        )
    try:
        with transaction.atomic():
            rule = TableRule.objects.create(
                organization=organization,
                source_id=source.pk,
                table_name=table.name,
                column=found,
                attribute=attribute,
                created_by_id=principal.user_id,
            )
            cached.invalidate([organization.pk])
            hooks.record_audit(
                action="row_rule.create",
                actor=principal,
                target_type="source",
                target_id=source.pk,
                data={"rule": rule.pk, "table": table.name, "column": found, "attribute": attribute},
            )
    except IntegrityError:
        raise ValidationFailed("This rule exists already.") from None
    return rule


def table_rule_delete(*, principal: Principal, organization: Organization, rule_id: int) -> None:
    """Remove a rule of the organisation: its table's rows are no longer limited by it."""
    _require_manager(principal)
    rule = TableRule.objects.filter(organization=organization, pk=rule_id).first()
    if rule is None:
        raise NotFound("There is no such rule in this organisation.")
    with transaction.atomic():
        data = {"rule": rule.pk, "table": rule.table_name, "column": rule.column, "attribute": rule.attribute}
        rule.delete()
        cached.invalidate([organization.pk])
        hooks.record_audit(
            action="row_rule.delete",
            actor=principal,
            target_type="source",
            target_id=rule.source_id,
            data=data,
        )


def can_manage_rules(principal: Principal) -> bool:
    return has_permission(principal, "sources.manage") and has_permission(principal, "members.manage")


def rule_json(rule: TableRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "source": rule.source_id,
        "table": rule.table_name,
        "column": rule.column,
        "attribute": rule.attribute,
        "created_at": rule.created_at.isoformat(),
    }


# --- internals -------------------------------------------------------------------------------------


def _require_manager(principal: Principal) -> None:
    if not can_manage_rules(principal):
        raise Forbidden("Only admins (who manage data sources and members) can change row access rules.")


def _organization_rules(organization_id: int) -> list[_RuleRow]:
    # Read once per request (a query asks per table), and from the cache across requests.
    memo = request_memo()
    key = f"rbac.access:row-rules:{organization_id}"  # cleared by forget_reach
    if memo is not None and key in memo:
        return list(memo[key])

    def compute() -> list[_RuleRow]:
        rows = TableRule.objects.filter(organization_id=organization_id)
        return list(rows.values_list("source_id", "table_name", "column", "attribute"))

    found = cached.organization_cached(f"rbac:row-rules:{organization_id}", organization_id, compute)
    if memo is not None:
        memo[key] = found
    return list(found)


def _attributes(organization_id: int, user_id: int) -> dict[str, list[str]]:
    return member_attributes(organization_id=organization_id, user_id=user_id)


@receiver([post_save, post_delete], sender=TableRule, dispatch_uid="rbac-cached-table-rule")
@receiver([post_save, post_delete], sender=MemberAttribute, dispatch_uid="rbac-cached-member-attribute")
def _changed(sender: Any, instance: TableRule | MemberAttribute, **kwargs: Any) -> None:
    # The services invalidate too; this covers changes made elsewhere (the Django admin, a shell).
    cached.invalidate([instance.organization_id])
