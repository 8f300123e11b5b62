"""Builders for what a department says about itself in ``describe()``: the
:class:`Manifest` and each step's :class:`StepSpec`. Every name, title and
purpose is given in Chinese and English.

    Manifest("tax", "国家税务总局厦门市税务局", "Xiamen Tax Bureau", "1.0.0").step(
        StepSpec("tax-registration", "税务登记", "Tax registration")
        .reads("enterprise.uscc", "识别纳税人", "To identify the taxpayer")
        .writes("tax.registration_date")
        .time_limit_hours(4)
    )

The builder methods (``reads``, ``writes``, ``material``,
``time_limit_minutes``) add to ``field_needs``, ``write_keys``,
``material_needs`` and ``limit_minutes``, what the host is given. Not for
validating a manifest against the dictionary: the host does that at load
time, and :func:`onething_sdk.testkit.assert_manifest_sound` natively.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from ._rustlike import U32_MAX, check_unsigned
from .text import Text

#: The time limit a step gets unless it sets one: one day.
DEFAULT_TIME_LIMIT_MINUTES = 24 * 60


@dataclass(frozen=True)
class FieldNeed:
    """A field a step reads: its key, whether the step cannot run without
    it, and why the department needs it."""

    key: str
    required: bool
    purpose: Text


@dataclass(frozen=True)
class MaterialNeed:
    """A material a step needs: its code, whether required, and why."""

    code: str
    required: bool
    purpose: Text


class StepSpec:
    """One step a department offers: an id in kebab-case and a title in
    Chinese and English; it reads and writes nothing until told, and has
    the default time limit (:data:`DEFAULT_TIME_LIMIT_MINUTES`)."""

    def __init__(self, id: str, title_zh: str, title_en: str) -> None:
        self.id = id
        self.title = Text(title_zh, title_en)
        self.field_needs: List[FieldNeed] = []
        self.write_keys: List[str] = []
        self.material_needs: List[MaterialNeed] = []
        self.limit_minutes: int = DEFAULT_TIME_LIMIT_MINUTES

    def reads(self, key: str, purpose_zh: str, purpose_en: str) -> "StepSpec":
        """Reads a required field, saying why."""
        self.field_needs.append(FieldNeed(key, True, Text(purpose_zh, purpose_en)))
        return self

    def reads_optional(self, key: str, purpose_zh: str, purpose_en: str) -> "StepSpec":
        """Reads an optional field, saying why."""
        self.field_needs.append(FieldNeed(key, False, Text(purpose_zh, purpose_en)))
        return self

    def writes(self, key: str) -> "StepSpec":
        """May write a field in an approval."""
        self.write_keys.append(key)
        return self

    def material(self, code: str, purpose_zh: str, purpose_en: str) -> "StepSpec":
        """Needs a material, saying why."""
        self.material_needs.append(MaterialNeed(code, True, Text(purpose_zh, purpose_en)))
        return self

    def material_optional(self, code: str, purpose_zh: str, purpose_en: str) -> "StepSpec":
        """Can use a material if supplied, saying why."""
        self.material_needs.append(MaterialNeed(code, False, Text(purpose_zh, purpose_en)))
        return self

    def time_limit_minutes(self, minutes: int) -> "StepSpec":
        """Time limit in minutes from the moment the step becomes ready."""
        self.limit_minutes = check_unsigned(minutes, "the time limit in minutes", U32_MAX)
        return self

    def time_limit_hours(self, hours: int) -> "StepSpec":
        """Time limit in hours (at most what 32 bits of minutes hold)."""
        check_unsigned(hours, "the time limit in hours", U32_MAX)
        return self.time_limit_minutes(min(hours * 60, U32_MAX))

    def reads_key(self, key: str) -> bool:
        """Whether the step declared it reads ``key``."""
        return any(r.key == key for r in self.field_needs)

    def writes_key(self, key: str) -> bool:
        """Whether the step declared it may write ``key``."""
        return key in self.write_keys

    def needs_material(self, code: str) -> bool:
        """Whether the step declared it needs (or can use) material ``code``."""
        return any(m.code == code for m in self.material_needs)

    def __repr__(self) -> str:
        return (
            f"StepSpec({self.id!r}, reads={[r.key for r in self.field_needs]}, "
            f"writes={self.write_keys}, materials={[m.code for m in self.material_needs]}, "
            f"time_limit_minutes={self.limit_minutes})"
        )


class Manifest:
    """What a component says about itself: the department id (kebab-case),
    its name in Chinese and English, the plugin's version (semver) and the
    steps (add them with :meth:`step`)."""

    def __init__(self, department: str, name_zh: str, name_en: str, version: str) -> None:
        self.department = department
        self.name = Text(name_zh, name_en)
        self.version = version
        self.steps: List[StepSpec] = []

    def step(self, spec: StepSpec) -> "Manifest":
        """Add a step."""
        self.steps.append(spec)
        return self

    def find_step(self, id: str) -> Optional[StepSpec]:
        """The step with id ``id``, if offered."""
        for s in self.steps:
            if s.id == id:
                return s
        return None

    def __repr__(self) -> str:
        return f"Manifest({self.department!r}, version={self.version!r}, steps={self.steps!r})"
