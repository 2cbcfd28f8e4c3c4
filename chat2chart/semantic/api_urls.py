# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.semantic import api

urlpatterns = [
    path("semantic/models/", api.SemanticModelListView.as_view(), name="api-semantic-model-list"),
    path(
        "semantic/models/validate/",
        api.SemanticModelValidateView.as_view(),
        name="api-semantic-model-validate",
    ),
    path("semantic/models/import/", api.SemanticModelImportView.as_view(), name="api-semantic-model-import"),
    path("semantic/models/auto/", api.SemanticModelAutoView.as_view(), name="api-semantic-model-auto"),
    path(
        "semantic/models/<int:pk>/", api.SemanticModelDetailView.as_view(), name="api-semantic-model-detail"
    ),
    path(
        "semantic/models/<int:pk>/versions/",
        api.SemanticModelVersionListView.as_view(),
        name="api-semantic-model-versions",
    ),
    path(
        "semantic/models/<int:pk>/rollback/",
        api.SemanticModelRollbackView.as_view(),
        name="api-semantic-model-rollback",
    ),
    path(
        "semantic/models/<int:pk>/export/",
        api.SemanticModelExportView.as_view(),
        name="api-semantic-model-export",
    ),
    path(
        "semantic/models/<int:pk>/rollups/",
        api.SemanticRollupListView.as_view(),
        name="api-semantic-rollup-list",
    ),
    path(
        "semantic/models/<int:pk>/rollups/<str:name>/build/",
        api.SemanticRollupBuildView.as_view(),
        name="api-semantic-rollup-build",
    ),
    path("semantic/query/", api.SemanticQueryView.as_view(), name="api-semantic-query"),
]
