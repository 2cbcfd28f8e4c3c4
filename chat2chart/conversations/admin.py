# SPDX-License-Identifier: MIT
"""Conversations in the Django admin (core edition), read-mostly: the answers are made by the pipeline."""

from django.contrib import admin

from chat2chart.conversations.models import Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    fk_name = "conversation"
    extra = 0
    fields = ("role", "kind", "status", "content", "planner", "latency_ms", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("display_title", "source", "table_name", "owner_id", "updated_at")
    search_fields = ("title", "table_name")
    readonly_fields = ("created_at", "updated_at")
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "conversation", "role", "kind", "status", "planner", "cost_usd", "latency_ms")
    list_filter = ("role", "kind", "status")
    readonly_fields = ("created_at",)
