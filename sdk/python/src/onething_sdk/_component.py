"""The adapter inside a component: the host's imports through the
``wit_world`` bindings componentize-py generates at build time, and the
conversions between the contract's generated types and the SDK's plain
Python ones (values, drafts, requests, manifests, problems, outcomes,
step errors). Only imported inside a component (see ``_backend``).
"""

from __future__ import annotations

from typing import List, Optional

from componentize_py_types import Err
from wit_world.imports import clock as _clock
from wit_world.imports import config as _config
from wit_world.imports import log as _log
from wit_world.imports import onething_matter_types as t
from wit_world.imports import store as _store

from .calls import Draft, Request
from .date import Date
from .log import Level
from .manifest import Manifest
from .outcome import Outcome
from .problems import Problem, StepError
from .store import StoreError
from .text import Text
from .values import Field, Item, Material, Value

# ------------------------------------------------------------ host imports


def _store_error(e: Err) -> StoreError:
    if isinstance(e.value, _store.StoreError_TooLarge):
        return StoreError.too_large(e.value.value)
    return StoreError.unavailable(getattr(e.value, "value", repr(e.value)))


def store_get(key: str) -> Optional[bytes]:
    try:
        value = _store.get(key)
    except Err as e:
        raise _store_error(e) from None
    return bytes(value) if value is not None else None


def store_set(key: str, value: bytes) -> None:
    try:
        _store.set(key, value)
    except Err as e:
        raise _store_error(e) from None


def store_insert_new(key: str, value: bytes) -> Optional[bytes]:
    try:
        inserted = _store.insert_new(key, value)
    except Err as e:
        raise _store_error(e) from None
    return bytes(inserted.value) if isinstance(inserted, _store.Inserted_Held) else None


def store_delete(key: str) -> bool:
    try:
        return _store.delete(key)
    except Err as e:
        raise _store_error(e) from None


def config_get(key: str) -> Optional[str]:
    return _config.get(key)


def config_keys() -> List[str]:
    return _config.keys()


def config_secret(name: str) -> Optional[str]:
    return _config.secret(name)


_LEVELS = {
    Level.TRACE: _log.Level.TRACE,
    Level.DEBUG: _log.Level.DEBUG,
    Level.INFO: _log.Level.INFO,
    Level.WARN: _log.Level.WARN,
    Level.ERROR: _log.Level.ERROR,
}


def log_write(level: Level, message: str, attributes: list) -> None:
    _log.log(_LEVELS[level], message, attributes)


def clock_now() -> int:
    return _clock.now()


def clock_today() -> Date:
    d = _clock.today()
    return Date(d.year, d.month, d.day)


def http_send(outgoing):
    from .http import wasi

    return wasi.send(outgoing)


# ------------------------------------------------------- contract -> SDK

_ITEM_KINDS = {
    t.Item_Text: "text",
    t.Item_Integer: "integer",
    t.Item_Money: "money",
    t.Item_Decimal: "decimal",
    t.Item_Boolean: "boolean",
    t.Item_Date: "date",
}
_VALUE_KINDS = {
    t.Value_Text: "text",
    t.Value_Integer: "integer",
    t.Value_Money: "money",
    t.Value_Decimal: "decimal",
    t.Value_Boolean: "boolean",
    t.Value_Date: "date",
}


def _date_in(d: t.Date) -> Date:
    return Date(d.year, d.month, d.day)


def _item_in(i) -> Item:
    kind = _ITEM_KINDS[type(i)]
    return Item(kind, _date_in(i.value) if kind == "date" else i.value)


def _value_in(v) -> Value:
    if isinstance(v, t.Value_Items):
        return Value("items", [_item_in(i) for i in v.value])
    kind = _VALUE_KINDS[type(v)]
    return Value(kind, _date_in(v.value) if kind == "date" else v.value)


def _fields_in(fields) -> List[Field]:
    return [Field(f.key, _value_in(f.value)) for f in fields]


def _materials_in(materials) -> List[Material]:
    return [Material(m.code, m.digest, m.media_type, m.size) for m in materials]


def draft_in(d: t.Draft) -> Draft:
    return Draft(d.application, d.step, _fields_in(d.fields), _materials_in(d.materials))


def request_in(r: t.Request) -> Request:
    return Request(
        r.application, r.step, r.idempotency_key, r.attempt, _fields_in(r.fields), _materials_in(r.materials)
    )


# ------------------------------------------------------- SDK -> contract

_ITEM_CASES = {
    "text": t.Item_Text,
    "integer": t.Item_Integer,
    "money": t.Item_Money,
    "decimal": t.Item_Decimal,
    "boolean": t.Item_Boolean,
    "date": t.Item_Date,
}
_VALUE_CASES = {
    "text": t.Value_Text,
    "integer": t.Value_Integer,
    "money": t.Value_Money,
    "decimal": t.Value_Decimal,
    "boolean": t.Value_Boolean,
    "date": t.Value_Date,
}


def _date_out(d: Date) -> t.Date:
    return t.Date(d.year, d.month, d.day)


def _text_out(x: Text) -> t.Text:
    return t.Text(x.zh, x.en)


def _value_out(v: Value):
    if v.kind == "items":
        return t.Value_Items(
            [_ITEM_CASES[i.kind](_date_out(i.value) if i.kind == "date" else i.value) for i in v.value]
        )
    return _VALUE_CASES[v.kind](_date_out(v.value) if v.kind == "date" else v.value)


def fields_out(fields) -> List[t.Field]:
    return [t.Field(f.key, _value_out(f.value)) for f in fields]


def manifest_out(m: Manifest) -> t.Manifest:
    return t.Manifest(
        m.department,
        _text_out(m.name),
        m.version,
        [
            t.StepSpec(
                s.id,
                _text_out(s.title),
                [t.FieldNeed(r.key, r.required, _text_out(r.purpose)) for r in s.field_needs],
                list(s.write_keys),
                [t.MaterialNeed(n.code, n.required, _text_out(n.purpose)) for n in s.material_needs],
                s.limit_minutes,
            )
            for s in m.steps
        ],
    )


def _subject_out(p: Problem):
    if p.subject.kind == "field":
        return t.Subject_Field(p.subject.name)
    if p.subject.kind == "material":
        return t.Subject_Material(p.subject.name)
    return t.Subject_General()


def problems_out(problems) -> List[t.Problem]:
    return [t.Problem(_subject_out(p), p.code, _text_out(p.message)) for p in problems]


def outcome_out(o: Outcome):
    if o.kind == "approved":
        a = o.value
        return t.Outcome_Approved(
            t.Approval(
                fields_out(a.fields),
                [t.Document(d.kind, d.number, _text_out(d.title)) for d in a.documents],
                _text_out(a.note_text) if a.note_text is not None else None,
            )
        )
    if o.kind == "needs-more":
        return t.Outcome_NeedsMore(problems_out(o.value))
    if o.kind == "rejected":
        return t.Outcome_Rejected(_text_out(o.value))
    return t.Outcome_Deferred(t.Ticket(o.value.id, _text_out(o.value.reason)))


def step_error_out(e: StepError) -> Err:
    """The error ``handle`` raises for the bindings: ``Err(step-error)``."""
    case = t.StepError_Transient if e.is_transient else t.StepError_Permanent
    return Err(case(e.message))
