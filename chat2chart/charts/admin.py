# SPDX-License-Identifier: MIT
from django.contrib import admin

from chat2chart.charts.models import SavedChart


@admin.register(SavedChart)
class SavedChartAdmin(admin.ModelAdmin):
    list_display = ("title", "source", "owner", "updated_at")
    search_fields = ("title", "description")
    raw_id_fields = ("source",)
