# SPDX-License-Identifier: MIT
"""Conversations about one table of a source, and their messages: questions and the answers drawn.

Rows live in the organisation's schema (a tenant app). An assistant message keeps everything needed to
show the answer again without re-running it: the plan, the query, its SQL, a capped snapshot of the
result, the chart spec and ECharts option, the narrative and the suggested follow-ups.
"""

from __future__ import annotations

from django.db import models

from chat2chart.core.fields import user_reference

# Rows of a result kept on the message; the chart is drawn from the full result before it is capped.
RESULT_SNAPSHOT_ROWS = 200


class Conversation(models.Model):
    owner = user_reference()
    # The API key it was started with (the key's id; the owner is then the key's creator), so a key whose
    # role is lower than its creator's still sees and uses the conversations it started. None for a person.
    api_key_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = models.ForeignKey("sources.Source", on_delete=models.CASCADE, related_name="conversations")
    table_name = models.CharField(max_length=255)
    # An embedded chat's end user, as the customer's token names them (opaque id and display name);
    # blank for members. The id is how the end user continues a conversation with a later token.
    embed_user_id = models.CharField(max_length=255, blank=True, default="")
    embed_user_name = models.CharField(max_length=200, blank=True, default="")
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["owner", "-updated_at"]),
            models.Index(fields=["embed_user_id", "-updated_at"]),
        ]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"

    @property
    def display_title(self) -> str:
        return self.title or f"New conversation about {self.table_name}"


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        ANSWER = "answer", "Answer"
        CLARIFICATION = "clarification", "Clarifying question"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.DONE, Status.ERROR, Status.CANCELLED)

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    kind = models.CharField(max_length=15, choices=Kind.choices, default=Kind.ANSWER)
    # The user's question this message answers (assistant messages), and the answer it re-runs.
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rerun_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    content = models.TextField(blank=True)
    plan = models.JSONField(null=True, blank=True)
    query = models.JSONField(null=True, blank=True)
    sql = models.TextField(blank=True)
    # {"columns": [...], "rows": [... at most RESULT_SNAPSHOT_ROWS], "row_count": n, "complete": bool,
    #  "truncated": bool (the query itself hit the row limit)}
    result = models.JSONField(null=True, blank=True)
    chart_spec = models.JSONField(null=True, blank=True)
    chart_option = models.JSONField(null=True, blank=True)
    alternatives = models.JSONField(default=list, blank=True)
    narrative = models.TextField(blank=True)
    suggestions = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    planner = models.CharField(max_length=200, blank=True)
    fallback_reason = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.role} message {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED
