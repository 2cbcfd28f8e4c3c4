# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""SSO on an organisation's host."""

from django.urls import path

from enterprise.sso import api, views

urlpatterns = [
    path("accounts/sso/", views.sso_start, name="sso_start"),
    path("accounts/sso/<slug:slug>/login/", views.sso_login_start, name="sso_login"),
    path("accounts/sso/saml/<slug:slug>/metadata/", views.saml_metadata, name="sso_saml_metadata"),
    path("accounts/sso/saml/<slug:slug>/acs/", views.saml_acs, name="sso_saml_acs"),
    path("accounts/sso/saml/<slug:slug>/finish/", views.saml_finish, name="sso_saml_finish"),
    path("accounts/sso/saml/<slug:slug>/logout/", views.saml_logout, name="sso_saml_logout"),
    path("accounts/sso/saml/<slug:slug>/slo/", views.saml_slo, name="sso_saml_slo"),
    path("settings/sso/", views.sso_settings_page, name="sso_settings_page"),
    path("api/v1/sso/", api.SsoSettingsView.as_view(), name="sso-settings"),
    path("api/v1/sso/providers/<slug:slug>/", api.IdentityProviderView.as_view(), name="sso-provider"),
    path("api/v1/sso/domains/", api.SsoDomainListView.as_view(), name="sso-domain-list"),
    path("api/v1/sso/domains/<str:domain>/", api.SsoDomainDetailView.as_view(), name="sso-domain-detail"),
]

# The public site: find an organisation's SSO by email domain.
public_urlpatterns = [path("accounts/sso/", views.sso_find, name="sso_find")]
