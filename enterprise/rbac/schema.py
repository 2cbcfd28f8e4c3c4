# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Describe API-key authentication in the OpenAPI schema (a bearer token)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "enterprise.rbac.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):  # noqa: ANN001, ANN201
        return {"type": "http", "scheme": "bearer", "description": "An organisation API key: `ak_…`."}
