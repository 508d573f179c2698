"""Just enough of a browser for hosted-UI sign-ins: requests without following redirects,
and the forms a page posts (a SAML IdP's auto-submitting form, a sign-in page)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

TIMEOUT_S = 30


@dataclass(frozen=True)
class Response:
    status: int
    location: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Form:
    action: str
    fields: dict[str, str]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirects)

    def get(self, url: str) -> Response:
        return self._open(urllib.request.Request(url, method="GET"))

    def post(self, url: str, fields: dict[str, str]) -> Response:
        data = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self._open(urllib.request.Request(url, data=data, headers=headers, method="POST"))

    def _open(self, request: urllib.request.Request) -> Response:
        try:
            with self._opener.open(request, timeout=TIMEOUT_S) as answer:
                return Response(answer.status, answer.headers.get("Location") or "", answer.read())
        except urllib.error.HTTPError as answer:
            return Response(answer.code, answer.headers.get("Location") or "", answer.read())


def with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))


def forms(page: bytes, base_url: str) -> list[Form]:
    """The page's forms, with the values of their inputs, and actions made absolute."""
    parser = _FormParser()
    parser.feed(page.decode("utf-8", errors="replace"))
    return [Form(urllib.parse.urljoin(base_url, f.action), f.fields) for f in parser.found]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.found.append(Form(values.get("action", ""), {}))
        elif tag == "input" and self.found and values.get("name"):
            self.found[-1].fields[values["name"]] = values.get("value", "")
