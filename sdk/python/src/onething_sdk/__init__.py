"""onething-sdk: everything a department needs to ship its rules as a
OneThing plugin in Python, a WebAssembly component (built with
componentize-py) implementing the ``department`` world of
``onething:matter@0.2.0``.

- :class:`Department` and :func:`export`: the class a plugin writes and
  its one line of glue (``Handler = export(MyDepartment)``).
- The contract's types as plain Python: :class:`Manifest`,
  :class:`StepSpec`, :class:`Draft`, :class:`Request`, :class:`Field`,
  :class:`Value`, :class:`Item`, :class:`Date`, :class:`Money`,
  :class:`Text`, :class:`Problem`, :class:`Outcome`, :class:`StepError`,
  with builders (:func:`approve`, :class:`Problems`) and typed field
  access by dictionary key (:class:`Fields`, :class:`Materials`).
- The host's imports: :mod:`~onething_sdk.log`, :mod:`~onething_sdk.clock`,
  :mod:`~onething_sdk.store`, :mod:`~onething_sdk.config` and
  :mod:`~onething_sdk.http` (a small synchronous client for the
  department's own system over wasi:http).
- Coded identifiers (:mod:`~onething_sdk.ids`), stable hashing
  (:mod:`~onething_sdk.hash`) and idempotent, unique issuing
  (:mod:`~onething_sdk.issue`), bit-for-bit and code-for-code the Rust
  SDK's (the shared test vectors hold them to it).
- :mod:`onething_sdk.testkit`: unit-test a department with the standard
  library's unittest, no host needed, its HTTP calls answered by mocks.
"""

from . import clock, config, hash, http, ids, issue, log, store
from .calls import Draft, Request
from .date import Date, days_in_month, is_leap_year
from .department import Department, export
from .fields import Fields, Materials
from .ids import ResidentId, Sex
from .manifest import DEFAULT_TIME_LIMIT_MINUTES, FieldNeed, Manifest, MaterialNeed, StepSpec
from .money import Money, MoneyError
from .outcome import Approval, Document, Outcome, Problems, Ticket, approve, defer, needs_more, reject
from .problems import Problem, ProblemError, StepError, Subject
from .store import StoreError
from .text import Text, text
from .values import Field, Item, Material, Value

#: The version of the WIT package this SDK targets.
WIT_VERSION = "onething:matter@0.2.0"

__version__ = "0.2.0"

__all__ = [
    "Approval", "DEFAULT_TIME_LIMIT_MINUTES", "Date", "Department", "Document", "Draft", "Field",
    "FieldNeed", "Fields", "Item", "Manifest", "Material", "MaterialNeed", "Materials", "Money",
    "MoneyError", "Outcome", "Problem", "ProblemError", "Problems", "Request", "ResidentId", "Sex",
    "StepError", "StepSpec", "StoreError", "Subject", "Text", "Ticket", "Value", "WIT_VERSION",
    "approve", "clock", "config", "days_in_month", "defer", "export", "hash", "http", "ids",
    "is_leap_year", "issue", "log", "needs_more", "reject", "store", "text",
]

# Inside a component, import the adapter now: componentize-py snapshots
# the interpreter after the app module is imported, and the host gives a
# component no filesystem, so a module first imported during a call
# could not be found.
from . import _backend  # noqa: E402

if _backend.IN_COMPONENT:
    from . import _component  # noqa: E402,F401
    from .http import wasi as _wasi_http  # noqa: E402,F401
