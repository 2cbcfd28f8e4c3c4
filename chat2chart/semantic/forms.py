# SPDX-License-Identifier: MIT
"""The model list page's form: a new model from the automatic model of one table or a whole source."""

from __future__ import annotations

from django import forms

from chat2chart.core.errors import NotFound, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.semantic import services
from chat2chart.semantic.auto import auto_model
from chat2chart.semantic.model import Model
from chat2chart.semantic.models import SemanticModel
from chat2chart.semantic.rollup_services import source_dialect
from chat2chart.semantic.yaml_io import dump_model
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.models import Source


def table_model(source: Source, table: str) -> Model:
    """The automatic model of one table of `source` (NotFound when the table is not in it)."""
    tables = [t for t in source_selectors.source_catalogue(source.pk) if t.name == table]
    if not tables:
        raise NotFound(f"'{source.name}' has no table '{table}'.")
    return auto_model(tables, dialect=source_dialect(source), source=source.pk)


class AutoModelForm(forms.Form):
    source = forms.IntegerField(min_value=1)
    table = forms.CharField(required=False, max_length=255)
    name = forms.CharField(required=False, max_length=200)

    def create(self, *, principal: Principal) -> SemanticModel:
        """Save the automatic model as a new model (version 1); the table's or source's name by default."""
        data = self.cleaned_data
        source = source_selectors.source_get(data["source"])
        table = data.get("table") or ""
        if not table:
            return services.semantic_model_from_source(
                principal=principal, source_id=source.pk, name=data.get("name") or ""
            )
        try:
            model = table_model(source, table)
        except NotFound as error:
            raise ValidationFailed(error.message) from error
        return services.semantic_model_create(
            principal=principal,
            name=data.get("name") or f"{source.name} · {table}",
            yaml_text=dump_model(model),
            note="automatic model",
        )
