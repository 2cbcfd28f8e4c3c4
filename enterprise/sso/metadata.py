# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""An IdP's SAML metadata, pasted or fetched from its URL through the guard REST sources use
(public addresses only, vetted redirects, size and time capped), read into the IdP's settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from chat2chart.core.errors import ValidationFailed
from chat2chart.sources.connectors.rest import fetch_document, origin
from chat2chart.sources.netsafety import resolve_public_address

METADATA_MAX_BYTES = 1_000_000
METADATA_TIMEOUT_S = 10.0


def metadata_fetch(url: str) -> str:
    """The metadata XML at `url`. Private addresses are refused unless AISER_ALLOW_PRIVATE_SOURCES.
    Raises ConnectionFailed."""
    body = fetch_document(
        url,
        allow_private=settings.AISER_ALLOW_PRIVATE_SOURCES,
        timeout_s=METADATA_TIMEOUT_S,
        max_bytes=METADATA_MAX_BYTES,
    )
    return body.decode("utf-8", errors="replace")


def metadata_fields(xml: str) -> dict[str, Any]:
    """IdentityProvider fields (entity ID, SSO and SLO URLs, signing certificate) read from IdP
    metadata XML. Raises ValidationFailed when it is not IdP metadata with a signing certificate."""
    if len(xml.encode()) > METADATA_MAX_BYTES:
        raise ValidationFailed("The metadata is larger than 1 MB.")
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(
            xml, required_sso_binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        )
    except Exception as error:  # noqa: BLE001 - malformed XML from an admin or the network
        raise ValidationFailed(f"This is not SAML IdP metadata ({type(error).__name__}).") from None
    idp = parsed.get("idp") or {}
    cert = idp.get("x509cert") or ((idp.get("x509certMulti") or {}).get("signing") or [""])[0]
    fields = {
        "idp_entity_id": idp.get("entityId", ""),
        "idp_sso_url": (idp.get("singleSignOnService") or {}).get("url", ""),
        "idp_slo_url": (idp.get("singleLogoutService") or {}).get("url", ""),
        "idp_x509_cert": cert,
    }
    if not fields["idp_entity_id"] or not fields["idp_sso_url"] or not cert:
        raise ValidationFailed(
            "The metadata needs an entity ID, an HTTP-Redirect single sign-on service "
            "and a signing certificate."
        )
    return fields


def oidc_server_check(url: str) -> None:
    """Refuse an OIDC issuer URL that is not http(s) or whose host resolves to a private address
    (unless AISER_ALLOW_PRIVATE_SOURCES): allauth fetches its discovery document and keys from the
    server. Checked when saved; raises ConnectionFailed or ValidationFailed."""
    scheme, host, port = origin(url)
    if scheme not in ("http", "https") or not host:
        raise ValidationFailed("The OpenID Connect server URL must be an http(s) URL.")
    resolve_public_address(host, port, allow_private=settings.AISER_ALLOW_PRIVATE_SOURCES)
