# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""SAML 2.0 with python3-saml: the service provider's settings for one IdP, starting a login, and
checking a response.

python3-saml does the XML work (signature with xmlsec, one assertion only, audience, issuer,
destination, recipient, InResponseTo, timestamps). What it does not do, done here: the organisation's
clock-skew tolerance (python3-saml allows a fixed 300 s, the most we allow) and handing back the
assertion's ID and expiry so the caller can refuse a replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import xmlsec
from django.conf import settings
from django.http import HttpRequest
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from chat2chart.core.errors import Forbidden
from enterprise.sso.models import IdentityProvider

MAX_CLOCK_SKEW_S = OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT
# How long an assertion without an expiry of its own is remembered against replay.
DEFAULT_ASSERTION_LIFETIME = timedelta(minutes=10)


class SamlRefused(Forbidden):
    code = "saml_refused"


@dataclass(frozen=True)
class SamlAssertion:
    """What a valid response says: the subject (NameID), its attributes (name → values), the
    assertion's ID and the moment after which it can no longer be used."""

    name_id: str
    attributes: dict[str, list[str]]
    assertion_id: str
    expires_at: datetime


def sp_urls(idp: IdentityProvider) -> dict[str, str]:
    """The service provider's entity ID (its metadata URL), ACS and SLO URLs for `idp`, on the
    organisation's own host."""
    base = f"{idp.organization.url}/accounts/sso/saml/{idp.slug}"
    return {"entity_id": f"{base}/metadata/", "acs": f"{base}/acs/", "slo": f"{base}/slo/"}


def saml_settings(idp: IdentityProvider) -> OneLogin_Saml2_Settings:
    """python3-saml settings for `idp`, strict: signatures required and checked, deprecated
    algorithms (SHA-1) refused."""
    urls = sp_urls(idp)
    data: dict[str, Any] = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": urls["entity_id"],
            "assertionConsumerService": {
                "url": urls["acs"],
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
            },
            "singleLogoutService": {
                "url": urls["slo"],
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
            },
            "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
        },
        "idp": {
            "entityId": idp.idp_entity_id,
            "singleSignOnService": {
                "url": idp.idp_sso_url,
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
            },
            "singleLogoutService": {
                "url": idp.idp_slo_url,
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
            },
            "x509cert": idp.idp_x509_cert,
        },
        "security": {
            "wantAssertionsSigned": idp.want_assertions_signed,
            "wantMessagesSigned": idp.want_responses_signed,
            "wantAttributeStatement": False,
            "wantNameId": True,
            "rejectDeprecatedAlgorithm": True,
            "requestedAuthnContext": False,
        },
    }
    if sp_key_pair_configured():
        # Our own key pair: sign what we send, and let IdPs encrypt assertions to us (or require it).
        data["sp"]["x509cert"] = settings.AISER_SAML_SP_CERT
        data["sp"]["privateKey"] = settings.AISER_SAML_SP_KEY
        data["security"].update(
            {
                "authnRequestsSigned": True,
                "logoutRequestSigned": True,
                "logoutResponseSigned": True,
                "signMetadata": False,
                "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
                "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
                "wantAssertionsEncrypted": idp.want_assertions_encrypted,
            }
        )
    return OneLogin_Saml2_Settings(data, sp_validation_only=True)


def sp_key_pair_configured() -> bool:
    """Whether the operator gave this service its own SAML key pair (`AISER_SAML_SP_CERT`/`_KEY`)."""
    return bool(settings.AISER_SAML_SP_CERT and settings.AISER_SAML_SP_KEY)


def sp_metadata(idp: IdentityProvider) -> str:
    """The SP metadata XML an admin gives their IdP."""
    settings = saml_settings(idp)
    metadata = settings.get_sp_metadata()
    errors = settings.validate_metadata(metadata)
    if errors:
        raise SamlRefused(f"the service provider metadata is invalid: {', '.join(errors)}")
    return metadata.decode() if isinstance(metadata, bytes) else metadata


def _request_data(request: HttpRequest) -> dict[str, Any]:
    # The URL as the browser used it (host with port), so Destination and Recipient compare exactly.
    return {
        "https": "on" if request.is_secure() else "off",
        "http_host": request.get_host(),
        "script_name": request.path,
        "get_data": request.GET.copy(),
        "post_data": request.POST.copy(),
    }


def login_redirect(idp: IdentityProvider, request: HttpRequest, *, relay_state: str) -> tuple[str, str]:
    """(URL of the IdP to send the browser to, ID of the AuthnRequest to expect in InResponseTo)."""
    auth = OneLogin_Saml2_Auth(_request_data(request), old_settings=saml_settings(idp))
    url = auth.login(return_to=relay_state)
    return url, auth.get_last_request_id()


def _acs_request_data(idp: IdentityProvider, encoded: str) -> dict[str, Any]:
    # The response was posted to the ACS and is checked a step later (see views.saml_acs): it is
    # checked as received at the ACS URL the IdP was given, so Destination and Recipient must name it.
    acs = urlsplit(sp_urls(idp)["acs"])
    return {
        "https": "on" if acs.scheme == "https" else "off",
        "http_host": acs.netloc,
        "script_name": acs.path,
        "get_data": {},
        "post_data": {"SAMLResponse": encoded},
    }


def response_in_response_to(idp: IdentityProvider, encoded: str) -> str:
    """The InResponseTo of the base64 SAMLResponse ("" when absent or unreadable), to find the request.

    Read from the Response element with python3-saml's hardened parser, without decrypting anything: an
    assertion encrypted to the wrong key is then refused by `assertion_from_response` with its reason."""
    try:
        document = OneLogin_Saml2_XML.to_etree(OneLogin_Saml2_Utils.b64decode(encoded))
    except Exception:  # noqa: BLE001 - any malformed input is simply "no known request"
        return ""
    return document.get("InResponseTo") or ""


def assertion_from_response(idp: IdentityProvider, encoded: str, *, request_id: str) -> SamlAssertion:
    """Check the base64 SAMLResponse posted to `idp`'s ACS against the AuthnRequest `request_id`;
    returns the assertion.

    Raises `SamlRefused` with python3-saml's reason for anything not valid: bad or missing signature,
    wrong audience, issuer or destination, expired or not yet valid (beyond the IdP's clock skew),
    wrapped or duplicated assertions.
    """
    if not encoded:
        raise SamlRefused("no SAMLResponse was posted")
    try:
        response = _decrypted_response(idp, encoded)
        response.is_valid(_acs_request_data(idp, encoded), request_id=request_id, raise_exceptions=True)
        _check_conditions(response, skew_s=min(idp.clock_skew_s, MAX_CLOCK_SKEW_S))
        name_id = response.get_nameid()
        assertion_id = response.get_assertion_id()
        attributes = response.get_attributes()
        not_after = response.get_assertion_not_on_or_after()
    except (OneLogin_Saml2_ValidationError, OneLogin_Saml2_Error) as error:
        raise SamlRefused(f"the SAML response was refused: {error}") from None
    except SamlRefused:
        raise
    except Exception as error:  # noqa: BLE001 - malformed XML or base64 from the network
        raise SamlRefused(f"the SAML response could not be read: {type(error).__name__}") from None
    if not assertion_id:
        raise SamlRefused("the SAML assertion has no ID")
    now = datetime.now(UTC)
    expires_at = (
        datetime.fromtimestamp(not_after, UTC) if not_after else now + DEFAULT_ASSERTION_LIFETIME
    ) + timedelta(seconds=idp.clock_skew_s)
    return SamlAssertion(
        name_id=name_id or "",
        attributes={name: [str(value) for value in values] for name, values in attributes.items()},
        assertion_id=assertion_id,
        expires_at=expires_at,
    )


ENCRYPTED_TO_ANOTHER_KEY = (
    "the SAML assertion is encrypted to another key than this service's: give the IdP the certificate "
    "in this service's SP metadata"
)
NO_KEY_TO_DECRYPT = (
    "the SAML assertion is encrypted but this service has no key pair to decrypt it "
    "(AISER_SAML_SP_CERT and AISER_SAML_SP_KEY); ask the IdP to stop encrypting or the operator to set one"
)


def _decrypted_response(idp: IdentityProvider, encoded: str) -> OneLogin_Saml2_Response:
    # python3-saml decrypts an EncryptedAssertion while reading the response; its failures would
    # otherwise read as "could not be read".
    try:
        return OneLogin_Saml2_Response(saml_settings(idp), encoded)
    except xmlsec.Error:
        raise SamlRefused(ENCRYPTED_TO_ANOTHER_KEY) from None
    except OneLogin_Saml2_Error as error:
        if error.code == OneLogin_Saml2_Error.PRIVATE_KEY_NOT_FOUND:
            raise SamlRefused(NO_KEY_TO_DECRYPT) from None
        raise


def _check_conditions(response: OneLogin_Saml2_Response, *, skew_s: int) -> None:
    # python3-saml tolerates 300 s either side; the organisation may want less.
    now = OneLogin_Saml2_Utils.now()
    for conditions in response._query_assertion("/saml:Conditions"):  # noqa: SLF001 - no public accessor
        not_before = conditions.get("NotBefore")
        not_after = conditions.get("NotOnOrAfter")
        if not_before and OneLogin_Saml2_Utils.parse_SAML_to_time(not_before) > now + skew_s:
            raise SamlRefused("the SAML assertion is not valid yet (check the IdP's clock)")
        if not_after and OneLogin_Saml2_Utils.parse_SAML_to_time(not_after) + skew_s <= now:
            raise SamlRefused("the SAML assertion has expired")


def logout_redirect(idp: IdentityProvider, request: HttpRequest, *, name_id: str) -> str | None:
    """The IdP's logout URL to send the browser to after signing out here, or None without one."""
    if not idp.idp_slo_url:
        return None
    auth = OneLogin_Saml2_Auth(_request_data(request), old_settings=saml_settings(idp))
    return auth.logout(return_to=f"{idp.organization.url}/", name_id=name_id or None)
