"""The store and reservations, idempotent issuing, configuration, the log
and the clock, against the test kit's stand-ins."""

import unittest

from onething_sdk import StepError, StoreError, clock, config, issue, log, store, testkit


class Store(testkit.TestCase):
    def test_get_set_insert_new_delete(self):
        testkit.seed("a", b"1")
        self.assertEqual(store.get("a"), b"1")
        self.assertEqual(store.get_text("a"), "1")
        self.assertIsNone(store.get("nothing"))
        held = store.insert_new("a", b"2")
        self.assertFalse(held.is_set)
        self.assertEqual((held.held, held.held_text()), (b"1", "1"))
        inserted = store.insert_new("b", "2")
        self.assertTrue(inserted.is_set)
        self.assertIsNone(inserted.held)
        self.assertEqual(testkit.stored_keys(), ["a", "b"])
        self.assertTrue(store.delete("a"))
        self.assertFalse(store.delete("a"))
        store.set("c", "x")
        self.assertEqual(testkit.stored_text("c"), "x")
        self.assertEqual(testkit.stored("c"), b"x")
        with self.assertRaises(TypeError):
            store.set("c", 1)

    def test_reservations(self):
        self.assertIsNone(store.reserve("name:x", "k1"))
        self.assertIsNone(store.reserve("name:x", "k1"), "a retry holds it still")
        self.assertEqual(store.reserve("name:x", "k2"), "k1")

    def test_failures_are_step_errors(self):
        testkit.fail_store(StoreError.unavailable("down"))
        with self.assertRaises(StepError) as down:
            store.get("a")
        self.assertTrue(down.exception.is_transient)
        self.assertEqual(str(down.exception), "store unavailable: down")
        testkit.fail_store(StoreError.too_large("quota"))
        with self.assertRaises(StoreError) as big:
            store.set("a", b"1")
        self.assertFalse(big.exception.is_transient)
        self.assertEqual(big.exception.message, "store refused a value: quota")
        testkit.fail_store(None)
        store.set("a", b"1")
        testkit.reset()
        self.assertEqual(testkit.stored_keys(), [])


class Issuing(testkit.TestCase):
    def test_same_key_same_number_other_key_other_number(self):
        self.assertEqual(issue.unique("cert", "app-1/s", lambda salt: f"N{salt % 2}"), "N0")
        self.assertEqual(issue.unique("cert", "app-1/s", lambda salt: "other"), "N0")
        self.assertEqual(issue.unique("cert", "app-2/s", lambda salt: f"N{salt % 2}"), "N1")
        with self.assertRaises(StepError) as exhausted:
            issue.unique("cert", "app-3/s", lambda salt: f"N{salt % 2}")
        self.assertTrue(exhausted.exception.is_transient)
        self.assertEqual(exhausted.exception.message, "no free cert number after 64 candidates")
        self.assertEqual(testkit.stored_text("number/cert/N1"), "app-2/s")
        self.assertEqual(testkit.stored_text("issued/cert/app-1/s"), "N0")

    def test_a_number_an_operator_issued_is_never_handed_out(self):
        testkit.seed("number/child.id_number/A", "operator")
        self.assertEqual(issue.unique("child.id_number", "app-1/s", lambda salt: "AB"[salt]), "B")

    def test_a_concurrent_attempt_keeps_the_first_number(self):
        # The other attempt of the same step issued between our read and
        # our write: its number wins and ours is freed.
        real_insert_new = store.insert_new

        def racing(key, value):
            if key == "issued/cert/app-1/s":
                testkit.seed(key, "N-first")
            return real_insert_new(key, value)

        store.insert_new = racing
        try:
            self.assertEqual(issue.unique("cert", "app-1/s", lambda salt: "N-ours"), "N-first")
        finally:
            store.insert_new = real_insert_new
        self.assertIsNone(testkit.stored("number/cert/N-ours"))

    def test_remembers_values(self):
        self.assertEqual(issue.remembered("date", "k", lambda: "2026-11-28"), "2026-11-28")
        self.assertEqual(issue.remembered("date", "k", lambda: "2026-11-29"), "2026-11-28")
        testkit.fail_store(StoreError.unavailable("down"))
        with self.assertRaises(StepError) as caught:
            issue.remembered("date", "k2", str)
        self.assertTrue(caught.exception.is_transient)


class Configuration(testkit.TestCase):
    def test_reads_what_the_operator_set(self):
        self.assertIsNone(config.get("base_url"))
        self.assertEqual(config.keys(), [])
        testkit.config("base_url", "http://h/x/v1")
        testkit.config("a", "1")
        testkit.config("blank", " ")
        testkit.secret("token", "s3cret")
        self.assertEqual(config.keys(), ["a", "base_url", "blank"])
        self.assertEqual(config.get("a"), "1")
        self.assertEqual(config.secret("token"), "s3cret")
        self.assertIsNone(config.secret("a"))
        self.assertEqual(config.require("base_url"), "http://h/x/v1")
        with self.assertRaises(StepError) as blank:
            config.require("blank")
        self.assertEqual(
            blank.exception,
            StepError.permanent("the configuration value `blank` is not set for this department"),
        )
        with self.assertRaises(StepError) as named:
            config.require_for("tax", "missing")
        message = named.exception.message
        self.assertFalse(named.exception.is_transient)
        self.assertIn("department tax", message)
        self.assertIn("`missing`", message)
        self.assertIn("[config.tax]", message)
        testkit.unset_config("base_url")
        self.assertIsNone(config.get("base_url"))


class LogAndClock(testkit.TestCase):
    def test_logs_are_kept(self):
        log.info("issued", {"step": "x"})
        log.warn("w")
        log.error("e", [("a", "1")], b="2")
        records = testkit.logs()
        self.assertEqual(len(records), 3)
        self.assertIs(records[0].level, log.Level.INFO)
        self.assertEqual(records[0].attributes, [("step", "x")])
        self.assertEqual(records[2].attributes, [("a", "1"), ("b", "2")])

    def test_pinned_and_unpinned_clock(self):
        self.assertGreaterEqual(clock.today().year, 2024)
        testkit.pin_today("2026-11-28")
        testkit.pin_now(1_800_000_000)
        self.assertEqual(str(clock.today()), "2026-11-28")
        self.assertEqual(clock.now(), 1_800_000_000)
        testkit.reset()
        testkit.pin_now(0)
        self.assertEqual(str(clock.today()), "1970-01-01")
        testkit.pin_now(16 * 3600)
        self.assertEqual(str(clock.today()), "1970-01-02", "China Standard Time")


if __name__ == "__main__":
    unittest.main()
