"""A department: the class a plugin writes (:class:`Department`), how the
SDK calls it (the same natively in the test kit as in a component), and
:func:`export`, the one line of glue componentize-py needs::

    class HousingFund(Department):
        def describe(self): ...
        def check(self, draft): ...
        def handle(self, request): ...

    Handler = export(HousingFund)

``handle`` returns an :class:`Approval` or an :class:`Outcome`, or raises
a :class:`StepError` (the store's and the HTTP client's errors are
StepErrors). A :class:`ProblemError` escaping ``check`` or ``handle`` (a
``require_*`` called outside :meth:`Problems.take`) is reported as that
one problem. Any other exception is a bug: inside a component it traps
the call (its traceback goes to the host's log), natively it fails the
test.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Union

from . import _backend
from .calls import Draft, Request
from .manifest import Manifest
from .outcome import Outcome, Problems, needs_more
from .problems import Problem, ProblemError, StepError
from .values import Field, Value


class Department:
    """Subclass it and implement :meth:`describe` and :meth:`handle`
    (and :meth:`check`, :meth:`prefill` where the department has rules or
    data for them). The SDK makes a fresh instance for every call, as the
    host makes a fresh component instance."""

    def describe(self) -> Manifest:
        """Describe the department and its steps. Must not depend on anything
        but the code: no configuration, no outgoing calls."""
        raise NotImplementedError(f"{type(self).__name__}.describe() is not written")

    def check(self, draft: Draft) -> "List[Problem] | Problems":
        """Every problem with a draft of one step at once (empty: it can be
        submitted). Unless overridden: none."""
        return []

    def prefill(self, draft: Draft) -> "List[Field] | Mapping[str, Any]":
        """Fields the department already holds and can fill in (a list of
        :class:`Field`, or a mapping of key to value). Unless overridden:
        none."""
        return []

    def handle(self, request: Request) -> "Outcome | Any":
        """Handle one attempt at a step."""
        raise NotImplementedError(f"{type(self).__name__}.handle() is not written")


DepartmentLike = Union[type, Department]

_METHODS = ("describe", "check", "prefill", "handle")


def _instance(department: DepartmentLike) -> Any:
    return department() if isinstance(department, type) else department


def _name(department: DepartmentLike) -> str:
    return department.__name__ if isinstance(department, type) else type(department).__name__


def call_describe(department: DepartmentLike) -> Manifest:
    """``describe()`` as the host calls it."""
    manifest = _instance(department).describe()
    if not isinstance(manifest, Manifest):
        raise TypeError(f"{_name(department)}.describe() returned {type(manifest).__name__}, not a Manifest")
    return manifest


def _problems(department: DepartmentLike, answer: Any) -> List[Problem]:
    if isinstance(answer, Problems):
        return answer.to_list()
    answer = list(answer)
    for p in answer:
        if not isinstance(p, Problem):
            raise TypeError(f"{_name(department)}.check() returned {type(p).__name__} among its problems")
    return answer


def call_check(department: DepartmentLike, draft: Draft) -> List[Problem]:
    """``check(draft)`` as the host calls it."""
    try:
        return _problems(department, _instance(department).check(draft))
    except ProblemError as e:
        return [e.problem]


def call_prefill(department: DepartmentLike, draft: Draft) -> List[Field]:
    """``prefill(draft)`` as the host calls it."""
    answer = _instance(department).prefill(draft)
    if isinstance(answer, Mapping):
        return [Field(k, Value.of(v)) for k, v in answer.items()]
    fields = list(answer)
    for f in fields:
        if not isinstance(f, Field):
            raise TypeError(f"{_name(department)}.prefill() returned {type(f).__name__} among its fields")
    return fields


def call_handle(department: DepartmentLike, request: Request) -> Outcome:
    """``handle(request)`` as the host calls it: an :class:`Outcome`, or a
    :class:`StepError` raised."""
    try:
        return Outcome.of(_instance(department).handle(request))
    except ProblemError as e:
        return needs_more([e.problem])


def export(department: DepartmentLike, samples: Any = (), warm_up: bool = True) -> type:
    """The class componentize-py wants as ``Handler`` in the app module
    (``Handler = export(MyDepartment)``): it converts the contract's types
    to the SDK's and back around each call. Inside a component it also
    warms the snapshot up (see :func:`warm_up_snapshot`), with
    ``samples`` if given; ``warm_up=False`` leaves it cold (to measure
    what the warm-up saves). Natively it only checks the
    department has the four methods (so the same module unit-tests); its
    methods work only inside a component."""
    missing = [m for m in _METHODS if not callable(getattr(department, m, None))]
    if missing:
        raise TypeError(f"{_name(department)} is not a department: it has no {', '.join(missing)}")
    bases: tuple = ()
    if _backend.IN_COMPONENT:
        from wit_world import exports

        bases = (exports.Handler,)

    def describe(self):
        from . import _component

        return _component.manifest_out(call_describe(department))

    def check(self, draft):
        from . import _component

        return _component.problems_out(call_check(department, _component.draft_in(draft)))

    def prefill(self, draft):
        from . import _component

        return _component.fields_out(call_prefill(department, _component.draft_in(draft)))

    def handle(self, request):
        from . import _component

        try:
            outcome = call_handle(department, _component.request_in(request))
        except StepError as e:
            raise _component.step_error_out(e) from None
        return _component.outcome_out(outcome)

    handler = type(
        "Handler",
        bases,
        {
            "__doc__": f"The component's handler export: {_name(department)}.",
            "__module__": getattr(department, "__module__", __name__),
            "describe": describe,
            "check": check,
            "prefill": prefill,
            "handle": handle,
        },
    )
    if _backend.IN_COMPONENT and warm_up:
        warm_up_snapshot(handler, department, samples)
    return handler


#: How many times the warm-up runs each path: enough for CPython's
#: specialising interpreter to quicken the bytecode it runs.
WARM_UP_ROUNDS = 16


def warm_up_snapshot(handler: type, department: DepartmentLike, samples: Any = ()) -> None:
    """Run the paths every call takes while componentize-py snapshots the
    interpreter (the app module is imported at build time), so each fresh
    instance starts with them already run: the conversions of the
    contract's types, ``describe``, and ``check`` and ``handle`` of each
    step on a draft and a request with no fields and with each of
    ``samples`` (``(step, {key: value})`` pairs: typical applications),
    each as far as it gets before it would call the host (every import
    stops the warm-up there: the host is not there at build time). Only the snapshot changes: a
    call's answer is the same. Measured: about a quarter fewer
    instructions per call for the housing fund (the plugin author's
    guide, "Writing a department in Python")."""
    from wit_world.imports import onething_matter_types as t

    h = handler()
    _backend.warming(True)
    try:
        from . import _component

        inputs = [(s.id, []) for s in call_describe(department).steps]
        for step, values in samples:
            fields = [Field(k, Value.of(v)) for k, v in dict(values).items()]
            inputs.append((step, _component.fields_out(fields)))
        for _ in range(WARM_UP_ROUNDS):
            h.describe()
            for step, fields in inputs:
                draft = t.Draft(application=None, step=step, fields=fields, materials=[])
                request = t.Request(
                    application="warm-up",
                    step=step,
                    idempotency_key=f"warm-up/{step}",
                    attempt=1,
                    fields=fields,
                    materials=[],
                )
                for call in (lambda: h.check(draft), lambda: h.handle(request)):
                    try:
                        call()
                    except (_backend.WarmUpStop, Exception):
                        pass
    except (_backend.WarmUpStop, Exception):
        pass
    finally:
        _backend.warming(False)
