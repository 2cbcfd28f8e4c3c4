# SPDX-License-Identifier: MIT
"""A SAML identity provider for tests: its own RSA key and self-signed certificate (made with
`cryptography`), its metadata, and responses it signs with xmlsec (python3-saml's signer), plus the
forgeries an attacker would try (tampered, unsigned, wrapped)."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from onelogin.saml2.utils import OneLogin_Saml2_Utils

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"


def _key_and_cert(common_name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def _time(offset_s: float) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset_s)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AuthnRequest:
    """What the SP asked for (read from the redirect URL it sent the browser to)."""

    id: str
    acs_url: str
    issuer: str
    relay_state: str


@dataclass
class SamlIdp:
    entity_id: str = "https://idp.example.test/saml"
    sso_url: str = "https://idp.example.test/sso"
    slo_url: str = "https://idp.example.test/slo"
    key_pem: str = ""
    cert_pem: str = ""
    issued: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.key_pem:
            self.key_pem, self.cert_pem = _key_and_cert("Test IdP")

    @property
    def cert_body(self) -> str:
        return "".join(line for line in self.cert_pem.splitlines() if "-----" not in line)

    def metadata(self) -> str:
        return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{self.entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
        <ds:X509Certificate>{self.cert_body}</ds:X509Certificate>
      </ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="{REDIRECT}" Location="{self.slo_url}"/>
    <md:SingleSignOnService Binding="{REDIRECT}" Location="{self.sso_url}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""

    @staticmethod
    def read_request(redirect_url: str) -> AuthnRequest:
        """The AuthnRequest in the SP's redirect to this IdP (HTTP-Redirect binding)."""
        from lxml import etree

        query = parse_qs(urlsplit(redirect_url).query)
        xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(query["SAMLRequest"][0])
        root = etree.fromstring(xml if isinstance(xml, bytes) else xml.encode())
        issuer = root.find(f"{{{SAML}}}Issuer")
        return AuthnRequest(
            id=root.get("ID"),
            acs_url=root.get("AssertionConsumerServiceURL"),
            issuer=issuer.text if issuer is not None else "",
            relay_state=query.get("RelayState", [""])[0],
        )

    def assertion_xml(
        self,
        *,
        request: AuthnRequest,
        name_id: str,
        attributes: dict[str, list[str]] | None = None,
        audience: str | None = None,
        not_before_s: float = -30,
        not_after_s: float = 300,
        assertion_id: str | None = None,
    ) -> str:
        assertion_id = assertion_id or f"_a{uuid.uuid4().hex}"
        self.issued.append(assertion_id)
        values = "".join(
            f'<saml:Attribute Name="{escape(name)}">'
            + "".join(f"<saml:AttributeValue>{escape(v)}</saml:AttributeValue>" for v in vals)
            + "</saml:Attribute>"
            for name, vals in (attributes or {}).items()
        )
        return (
            f'<saml:Assertion xmlns:saml="{SAML}" ID="{assertion_id}" Version="2.0" '
            f'IssueInstant="{_time(0)}">'
            f"<saml:Issuer>{self.entity_id}</saml:Issuer>"
            f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">'
            f"{escape(name_id)}</saml:NameID>"
            f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData NotOnOrAfter="{_time(not_after_s)}" '
            f'Recipient="{request.acs_url}" '
            f'InResponseTo="{request.id}"/></saml:SubjectConfirmation></saml:Subject>'
            f'<saml:Conditions NotBefore="{_time(not_before_s)}" NotOnOrAfter="{_time(not_after_s)}">'
            f"<saml:AudienceRestriction><saml:Audience>{audience or request.issuer}</saml:Audience>"
            f"</saml:AudienceRestriction></saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{_time(0)}" SessionIndex="_s{uuid.uuid4().hex}">'
            f"<saml:AuthnContext><saml:AuthnContextClassRef>"
            f"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            f"</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
            + (f"<saml:AttributeStatement>{values}</saml:AttributeStatement>" if values else "")
            + "</saml:Assertion>"
        )

    def sign(self, xml: str) -> str:
        """`xml` with an enveloped RSA-SHA256 signature over its root element."""
        signed = OneLogin_Saml2_Utils.add_sign(xml, self.key_pem, self.cert_pem)
        return signed.decode() if isinstance(signed, bytes) else signed

    @staticmethod
    def encrypt(assertion: str, *, to_cert_pem: str) -> str:
        """`<saml:EncryptedAssertion>` holding `assertion` encrypted as an IdP does (SAML core 2.7.3.2,
        XML Encryption): the assertion under a fresh AES-128-CBC session key, that key under the
        recipient certificate's RSA key with RSA-OAEP, by xmlsec's `EncryptionContext`."""
        import xmlsec
        from lxml import etree

        wrapper = etree.fromstring(
            f'<saml:EncryptedAssertion xmlns:saml="{SAML}">{assertion}</saml:EncryptedAssertion>'.encode()
        )
        target = wrapper[0]
        template = xmlsec.template.encrypted_data_create(
            wrapper, xmlsec.constants.TransformAes128Cbc, type=xmlsec.constants.TypeEncElement, ns="xenc"
        )
        xmlsec.template.encrypted_data_ensure_cipher_value(template)
        key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="dsig")
        encrypted_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
        xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
        manager = xmlsec.KeysManager()
        manager.add_key(xmlsec.Key.from_memory(to_cert_pem.encode(), xmlsec.constants.KeyDataFormatCertPem))
        context = xmlsec.EncryptionContext(manager)
        context.key = xmlsec.Key.generate(
            xmlsec.constants.KeyDataAes, 128, xmlsec.constants.KeyDataTypeSession
        )
        context.encrypt_xml(template, target)  # replaces the assertion in `wrapper`
        return etree.tostring(wrapper).decode()

    def response_xml(self, *, request: AuthnRequest, assertions: str, destination: str | None = None) -> str:
        return (
            f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_r{uuid.uuid4().hex}" '
            f'Version="2.0" IssueInstant="{_time(0)}" Destination="{destination or request.acs_url}" '
            f'InResponseTo="{request.id}">'
            f"<saml:Issuer>{self.entity_id}</saml:Issuer>"
            f'<samlp:Status><samlp:StatusCode Value="{SUCCESS}"/></samlp:Status>'
            f"{assertions}</samlp:Response>"
        )

    def respond(
        self,
        request: AuthnRequest,
        *,
        name_id: str,
        sign_assertion: bool = True,
        sign_response: bool = False,
        encrypt_to: str | None = None,
        **assertion_options: object,
    ) -> str:
        """A base64 SAMLResponse as the IdP would post it; `encrypt_to` (a certificate PEM): the
        (signed) assertion is encrypted to that certificate's key."""
        assertion = self.assertion_xml(request=request, name_id=name_id, **assertion_options)  # type: ignore[arg-type]
        if sign_assertion:
            assertion = _strip_declaration(self.sign(assertion))
        if encrypt_to:
            assertion = self.encrypt(assertion, to_cert_pem=encrypt_to)
        response = self.response_xml(request=request, assertions=assertion)
        if sign_response:
            response = self.sign(response)
        return encode(response)


def _strip_declaration(xml: str) -> str:
    return xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml


def encode(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def decode(saml_response: str) -> str:
    return base64.b64decode(saml_response).decode()
