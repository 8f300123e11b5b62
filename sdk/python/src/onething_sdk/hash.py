"""Deterministic numbers from strings, for issuing: the same idempotency
key always yields the same certificate number, so a retried step issues
what the first attempt issued.

FNV-1a over the UTF-8 bytes of each part (each followed by ``0xff``), then
SplitMix64 mixing, all in 64-bit wrap-around arithmetic: bit-for-bit the
Rust SDK's ``onething_sdk::hash``, so a department ported between
languages issues the same numbers. Not cryptographic: never use it to
hide or sign anything.
"""

from __future__ import annotations

from typing import Sequence

_MASK = (1 << 64) - 1
_FNV_OFFSET = 0xCBF2_9CE4_8422_2325
_FNV_PRIME = 0x0000_0100_0000_01B3


def _splitmix(z: int) -> int:
    z = (z + 0x9E37_79B9_7F4A_7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & _MASK
    return z ^ (z >> 31)


def _parts(parts: Sequence[str]) -> Sequence[str]:
    if isinstance(parts, str):
        raise TypeError("give the parts as a list of str, e.g. [key, 'filing'], not one str")
    return parts


def stable_u64(parts: Sequence[str]) -> int:
    """A stable 64-bit hash of ``parts``, each part delimited so
    ``["ab", "c"]`` and ``["a", "bc"]`` differ."""
    h = _FNV_OFFSET
    for part in _parts(parts):
        for b in part.encode("utf-8") + b"\xff":
            h = ((h ^ b) * _FNV_PRIME) & _MASK
    return _splitmix(h)


def digits(parts: Sequence[str], n: int) -> str:
    """``n`` decimal digits derived from ``parts`` (leading zeros kept)."""
    out = ""
    state = stable_u64(parts)
    while len(out) < n:
        state = _splitmix(state)
        chunk = f"{state % 1_000_000_000_000_000_000:018d}"
        out += chunk[: min(n - len(out), 18)]
    return out


def below(parts: Sequence[str], bound: int) -> int:
    """A number in ``range(bound)`` derived from ``parts`` (``bound`` 0 gives
    0); ``bound`` is at most 2^64-1."""
    if not 0 <= bound <= _MASK:
        raise ValueError(f"bound {bound} must be 0 to 2^64-1")
    return 0 if bound == 0 else stable_u64(parts) % bound
