"""A manifest checked against the data dictionary natively, in the host's
words: a read of a key the dictionary lacks fails the unit test, not the
first load, and names the nearest key ("did you mean …?").

Which dictionary: :func:`dictionary` reads the file named by the
``ONETHING_DICTIONARY`` environment variable, else the first
``examples/dictionary.toml`` found walking up from the current directory,
else from this SDK's own directory (the OneThing repository's layout);
:func:`dictionary_from` and :func:`dictionary_from_toml` take one
explicitly. The file is TOML (``[fields."<key>"]`` and
``[materials."<code>"]`` tables), read with :mod:`tomllib`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from .._rustlike import debug_str, is_blank
from ..manifest import Manifest
from . import names

#: The environment variable naming the dictionary file.
DICTIONARY_ENV = "ONETHING_DICTIONARY"


class Dictionary:
    """The keys and material codes of a data dictionary (each entry's table
    as parsed)."""

    def __init__(self, fields: Dict[str, dict], materials: Dict[str, dict], source: str = "inline") -> None:
        self.fields = fields
        self.materials = materials
        self.source = source

    @staticmethod
    def from_toml(text: str, source: str = "inline dictionary") -> "Dictionary":
        """Parse a dictionary; ``ValueError`` naming ``source`` if it is not one."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{source} is not TOML: {e}") from None
        fields = data.get("fields", {})
        materials = data.get("materials", {})
        if not isinstance(fields, dict) or not isinstance(materials, dict):
            raise ValueError(f"{source}: [fields] and [materials] must be tables of entries")
        if not fields:
            raise ValueError(f"{source} has no [fields.\"<key>\"] entries: not a data dictionary")
        return Dictionary(fields, materials, source)

    def has_field(self, key: str) -> bool:
        """Whether ``key`` is a field of the dictionary."""
        return key in self.fields

    def has_material(self, code: str) -> bool:
        """Whether ``code`` is a material of the dictionary."""
        return code in self.materials

    def field_type(self, key: str) -> Optional[str]:
        """The ``type`` of field ``key``, if it is one."""
        entry = self.fields.get(key)
        return entry.get("type") if isinstance(entry, dict) else None

    def did_you_mean_field(self, key: str) -> str:
        """`` (did you mean `child.name`?)`` or nothing."""
        return _did_you_mean(key, sorted(self.fields))

    def did_you_mean_material(self, code: str) -> str:
        """As :meth:`did_you_mean_field`, among the materials."""
        return _did_you_mean(code, sorted(self.materials))


def _osa(a: str, b: str) -> int:
    """The optimal-string-alignment distance (a swap of neighbours is one edit)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def _did_you_mean(unknown: str, candidates: Iterable[str]) -> str:
    """The host's suggestion: the nearest candidate within a third of the
    name's length (at least one edit), ties to the first."""
    wanted = unknown.lower()
    allowed = max(len(wanted) // 3, 1)
    best: Optional[tuple] = None
    for c in candidates:
        if c == unknown:
            continue
        d = _osa(wanted, c.lower())
        if d <= allowed and (best is None or d < best[0]):
            best = (d, c)
    return f" (did you mean `{best[1]}`?)" if best else ""


def _find() -> Path:
    given = os.environ.get(DICTIONARY_ENV)
    if given:
        return Path(given)
    starts = [Path.cwd(), Path(__file__).resolve().parent]
    for start in starts:
        for d in [start, *start.parents]:
            p = d / "examples" / "dictionary.toml"
            if p.is_file():
                return p
    raise FileNotFoundError(
        f"no examples/dictionary.toml in {Path.cwd()} or any directory above it, nor above the SDK; "
        f"set {DICTIONARY_ENV} to the platform's dictionary file"
    )


def dictionary_from(path: "str | os.PathLike") -> Dictionary:
    """The dictionary in the file at ``path``; an error naming the file and
    the fault when it cannot be read or parsed."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise FileNotFoundError(f"cannot read the dictionary {p}: {e.strerror or e}") from None
    return Dictionary.from_toml(text, str(p))


def dictionary_from_toml(text: str) -> Dictionary:
    """A dictionary written inline (a department's small fixture)."""
    return Dictionary.from_toml(text, "inline dictionary")


_cache: Dict[str, Dictionary] = {}


def dictionary() -> Dictionary:
    """The platform's data dictionary (see the module's documentation), read
    once per path."""
    path = str(_find())
    if path not in _cache:
        _cache[path] = dictionary_from(path)
    return _cache[path]


def _incomplete(t) -> Optional[str]:
    zh, en = is_blank(t.zh), is_blank(t.en)
    if zh and en:
        return "Chinese and English"
    if zh:
        return "Chinese"
    if en:
        return "English"
    return None


def manifest_faults(manifest: Manifest) -> List[str]:
    """Every fault in the shape of a manifest the host would refuse without
    looking at the dictionary: ids, keys, codes, purposes, duplicates, time
    limits, semver, a text missing its Chinese or English. Empty when
    well-formed."""
    faults: List[str] = []
    if not names.is_kebab(manifest.department):
        faults.append(f"department id {debug_str(manifest.department)} is not kebab-case")
    which = _incomplete(manifest.name)
    if which:
        faults.append(f"department name has no {which}")
    if not names.is_semver(manifest.version):
        faults.append(f"version {debug_str(manifest.version)} is not semver")
    if not manifest.steps:
        faults.append("no steps")
    for i, step in enumerate(manifest.steps):
        sid = step.id
        if not names.is_kebab(sid):
            faults.append(f"step id {debug_str(sid)} is not kebab-case")
        if any(s.id == sid for s in manifest.steps[:i]):
            faults.append(f"step {sid}: declared twice")
        which = _incomplete(step.title)
        if which:
            faults.append(f"step {sid}: title has no {which}")
        if step.limit_minutes == 0:
            faults.append(f"step {sid}: time limit is 0")
        for j, r in enumerate(step.field_needs):
            if not names.is_key(r.key):
                faults.append(f"step {sid}: reads {debug_str(r.key)}, not a dictionary key")
            if any(o.key == r.key for o in step.field_needs[:j]):
                faults.append(f"step {sid}: reads {r.key} twice")
            which = _incomplete(r.purpose)
            if which:
                faults.append(f"step {sid}: reads {r.key} without a purpose in {which}")
        for j, w in enumerate(step.write_keys):
            if not names.is_key(w):
                faults.append(f"step {sid}: writes {debug_str(w)}, not a dictionary key")
            if w in step.write_keys[:j]:
                faults.append(f"step {sid}: writes {w} twice")
        for m in step.material_needs:
            if not names.is_kebab(m.code):
                faults.append(f"step {sid}: material {debug_str(m.code)} is not kebab-case")
            which = _incomplete(m.purpose)
            if which:
                faults.append(f"step {sid}: material {m.code} without a purpose in {which}")
    return faults


def manifest_faults_against(manifest: Manifest, dictionary: Dictionary) -> List[str]:
    """Every fault the host would find when it loads the component: its
    shape (:func:`manifest_faults`) and, in the host's words, every key and
    material code the dictionary lacks, with the nearest one suggested."""
    faults = manifest_faults(manifest)
    for step in manifest.steps:
        for r in step.field_needs:
            if names.is_key(r.key) and not dictionary.has_field(r.key):
                faults.append(
                    f"step {step.id}: reads {r.key}, which is not in the data dictionary"
                    f"{dictionary.did_you_mean_field(r.key)}"
                )
        for w in step.write_keys:
            if names.is_key(w) and not dictionary.has_field(w):
                faults.append(
                    f"step {step.id}: writes {w}, which is not in the data dictionary"
                    f"{dictionary.did_you_mean_field(w)}"
                )
        for m in step.material_needs:
            if names.is_kebab(m.code) and not dictionary.has_material(m.code):
                faults.append(
                    f"step {step.id}: needs material {m.code}, which is not in the data dictionary"
                    f"{dictionary.did_you_mean_material(m.code)}"
                )
    return faults


def assert_manifest_sound(manifest: Manifest, against: Optional[Dictionary] = None) -> None:
    """Fail the test (``AssertionError``, every fault listed) unless the host
    would accept ``manifest`` against the dictionary (:func:`dictionary`
    unless one is given): the one line a department's tests need."""
    faults = manifest_faults_against(manifest, against if against is not None else dictionary())
    if faults:
        raise AssertionError(
            f"the host would refuse department {manifest.department}'s manifest:\n  - " + "\n  - ".join(faults)
        )
