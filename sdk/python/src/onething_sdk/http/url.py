"""The URLs the client sends to: ``http://`` or ``https://``, an authority
(host and optional port) and a path with an optional query, split the way
wasi:http wants them; and :func:`path_segment`, to put an applicant's
value (an enterprise name in Chinese) into a path safely.

Not a general URL parser: no user info, no fragments, no relative
references.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .._rustlike import WHITESPACE, debug_char


def _strip_prefix_ci(text: str, prefix: str):
    head = text[: len(prefix)]
    return text[len(prefix):] if head.lower() == prefix else None


@dataclass(frozen=True)
class Url:
    """A URL split into scheme, authority and path-with-query."""

    is_https: bool
    authority: str
    path_and_query: str

    @staticmethod
    def parse(text: str) -> "Url":
        """Parse ``http(s)://authority[/path][?query]``; a ``ValueError``
        saying what is wrong otherwise."""
        rest = _strip_prefix_ci(text, "https://")
        https = rest is not None
        if rest is None:
            rest = _strip_prefix_ci(text, "http://")
        if rest is None:
            raise ValueError("it must start with http:// or https://")
        end = next((i for i, c in enumerate(rest) if c in "/?#"), len(rest))
        authority, tail = rest[:end], rest[end:]
        if not authority:
            raise ValueError("it names no host")
        if "@" in authority:
            raise ValueError("it holds user information; credentials never go in a URL")
        if "#" in tail:
            raise ValueError("it holds a fragment")
        # Printable ASCII without a space holds neither (the usual URL,
        # checked without a step per character).
        if not (text.isascii() and text.isprintable() and " " not in text):
            for c in text:
                if c in WHITESPACE or unicodedata.category(c) == "Cc":
                    raise ValueError(f"it holds {debug_char(c)}; escape it with http.path_segment")
        if tail.startswith("?"):
            path_and_query = "/" + tail
        elif not tail:
            path_and_query = "/"
        else:
            path_and_query = tail
        return Url(https, authority, path_and_query)

    def __str__(self) -> str:
        scheme = "https" if self.is_https else "http"
        return f"{scheme}://{self.authority}{self.path_and_query}"


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def path_segment(value: str) -> str:
    """``value`` percent-encoded as one path segment (RFC 3986 unreserved
    characters kept, everything else as UTF-8 ``%XX``):
    ``path_segment("厦门 A/B")`` is ``%E5%8E%A6%E9%97%A8%20A%2FB``."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in value.encode("utf-8"))
