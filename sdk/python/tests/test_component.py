"""The adapter inside a component, natively: the bindings componentize-py
generates (``componentize-py bindings``, from the repository's
``wit/0.2.0``) are dataclasses that import fine outside a component, so
the conversions between them and the SDK's types, and the ``Handler``
class ``export`` makes, are exercised here exactly as the component runs
them (the host's imports themselves only exist inside it)."""

import importlib
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from onething_sdk import (
    Date,
    Department,
    Manifest,
    Outcome,
    Problem,
    StepError,
    StepSpec,
    Value,
    approve,
    defer,
    needs_more,
    reject,
)

from . import REPOSITORY


def _tool():
    here = Path(sys.executable).parent / "componentize-py"
    return str(here) if here.exists() else shutil.which("componentize-py")


class Fund(Department):
    def describe(self):
        return Manifest("housing-fund", "公积金", "Housing fund", "1.0.0").step(
            StepSpec("s", "事项", "Step").reads("a.b", "用途", "Purpose").writes("x.y").time_limit_hours(8)
        )

    def check(self, draft):
        return [Problem.field("a.b", "seen", "见", f"{draft.application}:{draft.fields.integer('a.b')}")]

    def handle(self, request):
        if request.attempt == 2:
            raise StepError.transient("down")
        if request.attempt == 3:
            request.fields.require_text("missing.key")
        return approve().field("x.y", request.fields.date("c.d")).document("k", "N1", "证", "Card")


@unittest.skipIf(_tool() is None, "componentize-py is not installed (target/guests/venv)")
class Adapter(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="onething-bindings-")
        subprocess.run(
            [_tool(), "-d", str(REPOSITORY / "wit" / "0.2.0"), "-w", "department", "bindings", cls.dir],
            check=True,
            capture_output=True,
        )
        sys.path.insert(0, cls.dir)
        cls.t = importlib.import_module("wit_world.imports.onething_matter_types")
        cls.Err = importlib.import_module("componentize_py_types").Err
        cls.c = importlib.import_module("onething_sdk._component")
        from onething_sdk import export

        cls.handler = export(Fund)()

    @classmethod
    def tearDownClass(cls):
        sys.path.remove(cls.dir)
        for name in [m for m in sys.modules if m.startswith(("wit_world", "componentize_py", "onething_sdk._component"))]:
            del sys.modules[name]
        shutil.rmtree(cls.dir, ignore_errors=True)

    def request(self, attempt, fields):
        return self.t.Request("app-1", "s", "app-1/s", attempt, fields, [])

    def test_describe_gives_the_contracts_manifest(self):
        m = self.handler.describe()
        self.assertIsInstance(m, self.t.Manifest)
        self.assertEqual((m.department, m.name.en, m.version), ("housing-fund", "Housing fund", "1.0.0"))
        step = m.steps[0]
        self.assertEqual(step.time_limit_minutes, 480)
        self.assertEqual(step.reads[0], self.t.FieldNeed("a.b", True, self.t.Text("用途", "Purpose")))
        self.assertEqual(step.writes, ["x.y"])

    def test_values_cross_both_ways(self):
        t = self.t
        fields = [
            t.Field("a.b", t.Value_Integer(-(1 << 63))),
            t.Field("c.d", t.Value_Date(t.Date(2026, 11, 28))),
            t.Field("e.f", t.Value_Items([t.Item_Money(5), t.Item_Date(t.Date(2026, 1, 2)), t.Item_Text("x")])),
            t.Field("g.h", t.Value_Decimal(2.5)),
            t.Field("i.j", t.Value_Boolean(True)),
            t.Field("k.l", t.Value_Money(1234567)),
            t.Field("m.n", t.Value_Text("厦门")),
        ]
        sdk = self.c.request_in(self.request(1, fields))
        self.assertEqual(sdk.fields.integer("a.b"), -(1 << 63))
        self.assertEqual(sdk.fields.date("c.d"), Date(2026, 11, 28))
        self.assertEqual([i.kind for i in sdk.fields.items("e.f")], ["money", "date", "text"])
        self.assertEqual(str(sdk.fields.money("k.l")), "12345.67")
        self.assertEqual(self.c.fields_out(sdk.fields), fields)

    def test_check_and_handle_answer_in_the_contracts_types(self):
        t = self.t
        problems = self.handler.check(t.Draft(None, "s", [t.Field("a.b", t.Value_Integer(8))], []))
        self.assertEqual(problems, [t.Problem(t.Subject_Field("a.b"), "seen", t.Text("见", "None:8"))])
        ok = self.handler.handle(self.request(1, [t.Field("c.d", t.Value_Date(t.Date(2026, 11, 28)))]))
        self.assertIsInstance(ok, t.Outcome_Approved)
        self.assertEqual(ok.value.documents, [t.Document("k", "N1", t.Text("证", "Card"))])
        self.assertIsNone(ok.value.note)
        with self.assertRaises(self.Err) as caught:
            self.handler.handle(self.request(2, []))
        self.assertEqual(caught.exception.value, t.StepError_Transient("down"))
        more = self.handler.handle(self.request(3, []))
        self.assertIsInstance(more, t.Outcome_NeedsMore)
        self.assertEqual(more.value[0].code, "missing")
        self.assertEqual(self.handler.prefill(t.Draft("a", "s", [], [])), [])

    def test_every_outcome_converts(self):
        t = self.t
        self.assertEqual(self.c.outcome_out(reject("不", "no")), t.Outcome_Rejected(t.Text("不", "no")))
        self.assertEqual(
            self.c.outcome_out(defer("T1", "线下", "offline")),
            t.Outcome_Deferred(t.Ticket("T1", t.Text("线下", "offline"))),
        )
        general = needs_more([Problem.general("g", "总", "all"), Problem.material("m", "missing", "材", "m")])
        self.assertEqual(
            self.c.outcome_out(general).value,
            [
                t.Problem(t.Subject_General(), "g", t.Text("总", "all")),
                t.Problem(t.Subject_Material("m"), "missing", t.Text("材", "m")),
            ],
        )
        noted = self.c.outcome_out(Outcome.of(approve().field("x.y", Value.items([1, 2])).note("注", "note"))).value
        self.assertEqual(noted.note, t.Text("注", "note"))
        self.assertEqual(noted.fields, [t.Field("x.y", t.Value_Items([t.Item_Integer(1), t.Item_Integer(2)]))])
        self.assertEqual(self.c.step_error_out(StepError.permanent("p")).value, t.StepError_Permanent("p"))
