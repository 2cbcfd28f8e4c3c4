# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.conversations import api

urlpatterns = [
    path("conversations/", api.ConversationListView.as_view(), name="api-conversation-list"),
    path(
        "conversations/events/schema/",
        api.AnswerEventSchemaView.as_view(),
        name="api-conversation-event-schema",
    ),
    path("conversations/<int:pk>/", api.ConversationDetailView.as_view(), name="api-conversation-detail"),
    path("conversations/<int:pk>/messages/", api.MessageListView.as_view(), name="api-conversation-messages"),
    path(
        "conversations/<int:pk>/messages/<int:mid>/rerun/",
        api.MessageRerunView.as_view(),
        name="api-conversation-message-rerun",
    ),
    path(
        "conversations/<int:pk>/messages/<int:mid>/chart/",
        api.MessageChartView.as_view(),
        name="api-conversation-message-chart",
    ),
]
