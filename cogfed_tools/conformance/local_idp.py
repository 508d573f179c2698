"""A small identity provider on 127.0.0.1 that speaks OIDC and SAML the way a browser sees them.

It stands in for LinkedIn (OIDC) and the corporate directory (SAML) in the ministack world.
Each sign-in first tells it who signs in next (`next_sign_in`); then:

- OIDC: `/oidc/authorize` answers the pool's redirect with a code, `/oidc/token` exchanges
  that code for an id_token carrying the claims (unsigned: ministack does not verify
  id_token signatures, and nothing here is trusted beyond the run), and
  `/oidc/.well-known/openid-configuration` lets the pool discover both from the issuer.
- SAML: `/saml/sso` reads the AuthnRequest (HTTP-Redirect binding), and answers with the
  auto-submitting form a browser would post to the request's AssertionConsumerServiceURL,
  holding a Response whose NameID keeps its exact case.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
import urllib.parse
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.etree import ElementTree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
OIDC_CLIENT_ID = "conformance-client"


@dataclass
class LocalIdentityProvider:
    base_url: str
    _next: dict[str, Any] | None = None
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def oidc_issuer(self) -> str:
        return f"{self.base_url}/oidc"

    @property
    def saml_sso_url(self) -> str:
        return f"{self.base_url}/saml/sso"

    def saml_metadata(self) -> str:
        """IdP metadata naming the HTTP-Redirect single sign-on endpoint."""
        return (
            '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'entityID="{self.base_url}/saml">'
            '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location="{self.saml_sso_url}"/>'
            "</IDPSSODescriptor></EntityDescriptor>"
        )

    def next_sign_in(self, subject: str, claims: Mapping[str, str]) -> None:
        """Who the next browser to arrive signs in as: the subject (OIDC sub or SAML NameID)."""
        with self._lock:
            self._next = {"subject": subject, "claims": dict(claims)}

    def _take_next(self) -> dict[str, Any]:
        with self._lock:
            if self._next is None:
                raise LookupError("a sign-in arrived that the run did not announce")
            taken, self._next = self._next, None
            return taken

    # ------------------------------------------------------------------ OIDC

    def oidc_discovery(self) -> dict[str, str]:
        return {
            "issuer": self.oidc_issuer,
            "authorization_endpoint": f"{self.oidc_issuer}/authorize",
            "token_endpoint": f"{self.oidc_issuer}/token",
        }

    def oidc_authorize(self, query: Mapping[str, str]) -> str:
        """The redirect back to the pool, with a code for the announced sign-in."""
        code, sign_in = secrets.token_urlsafe(16), self._take_next()
        with self._lock:
            self._codes[code] = sign_in
        return _with_query(query["redirect_uri"], {"code": code, "state": query["state"]})

    def oidc_token(self, form: Mapping[str, str]) -> dict[str, str]:
        with self._lock:
            sign_in = self._codes.pop(form.get("code", ""), None)
        if sign_in is None:
            raise LookupError("unknown or used authorization code")
        now = datetime.now(UTC)
        claims = {
            **sign_in["claims"],
            "sub": sign_in["subject"],
            "iss": self.oidc_issuer,
            "aud": form.get("client_id", OIDC_CLIENT_ID),
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=5)).timestamp()),
        }
        header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        id_token = f"{header}.{_b64url(json.dumps(claims).encode())}."
        return {
            "id_token": id_token,
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
        }

    # ------------------------------------------------------------------ SAML

    def saml_sso(self, query: Mapping[str, str]) -> str:
        """The auto-posting form carrying the Response to the requester's ACS URL."""
        request = ElementTree.fromstring(
            zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15)
        )
        acs_url = request.get("AssertionConsumerServiceURL", "")
        if not acs_url:
            raise LookupError("the AuthnRequest names no AssertionConsumerServiceURL")
        response = self._saml_response(self._take_next(), request, acs_url)
        fields = {"SAMLResponse": response, "RelayState": query.get("RelayState", "")}
        inputs = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in fields.items()
        )
        return (
            f'<html><body onload="document.forms[0].submit()">'
            f'<form method="POST" action="{html.escape(acs_url)}">{inputs}</form></body></html>'
        )

    def _saml_response(self, sign_in: dict[str, Any], request: Any, acs_url: str) -> str:
        ElementTree.register_namespace("samlp", SAMLP)
        ElementTree.register_namespace("saml", SAML)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = ElementTree.Element(
            f"{{{SAMLP}}}Response",
            {
                "ID": "_" + secrets.token_hex(8),
                "InResponseTo": request.get("ID", ""),
                "Version": "2.0",
                "IssueInstant": now,
                "Destination": acs_url,
            },
        )
        ElementTree.SubElement(response, f"{{{SAML}}}Issuer").text = f"{self.base_url}/saml"
        assertion = ElementTree.SubElement(response, f"{{{SAML}}}Assertion")
        subject = ElementTree.SubElement(assertion, f"{{{SAML}}}Subject")
        name_id = ElementTree.SubElement(
            subject,
            f"{{{SAML}}}NameID",
            {"Format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"},
        )
        name_id.text = sign_in["subject"]
        statement = ElementTree.SubElement(assertion, f"{{{SAML}}}AttributeStatement")
        for name, value in sign_in["claims"].items():
            attribute = ElementTree.SubElement(statement, f"{{{SAML}}}Attribute", {"Name": name})
            ElementTree.SubElement(attribute, f"{{{SAML}}}AttributeValue").text = value
        return base64.b64encode(ElementTree.tostring(response)).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _with_query(url: str, params: Mapping[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)


def _handler(idp: LocalIdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str, location: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urllib.parse.urlparse(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            try:
                if url.path == "/oidc/.well-known/openid-configuration":
                    body = json.dumps(idp.oidc_discovery()).encode()
                    self._send(200, body, "application/json")
                elif url.path == "/oidc/authorize":
                    self._send(302, b"", "text/html", idp.oidc_authorize(query))
                elif url.path == "/saml/sso":
                    self._send(200, idp.saml_sso(query).encode(), "text/html")
                else:
                    self._send(404, b"not found", "text/plain")
            except (LookupError, KeyError, ValueError) as problem:
                self._send(400, str(problem).encode(), "text/plain")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if urllib.parse.urlparse(self.path).path != "/oidc/token":
                self._send(404, b"not found", "text/plain")
                return
            try:
                self._send(200, json.dumps(idp.oidc_token(form)).encode(), "application/json")
            except LookupError as problem:
                body = json.dumps({"error": "invalid_grant", "error_description": str(problem)})
                self._send(400, body.encode(), "application/json")

    return Handler


@contextmanager
def running_identity_provider(host: str = "127.0.0.1") -> Iterator[LocalIdentityProvider]:
    """The identity provider serving on `host` at a free port for the duration of the block."""
    server = ThreadingHTTPServer((host, 0), BaseHTTPRequestHandler)
    idp = LocalIdentityProvider(base_url=f"http://{host}:{server.server_port}")
    server.RequestHandlerClass = _handler(idp)
    thread = threading.Thread(target=server.serve_forever, name="local-idp", daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
