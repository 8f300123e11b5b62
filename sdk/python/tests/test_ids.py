"""The identifier rules beyond the shared vectors: what a parsed number
encodes, building numbers, and the messages an applicant reads."""

import unittest

from onething_sdk import Date, ids
from onething_sdk.ids import IdError, ResidentId, Sex


def code(call, *args):
    try:
        call(*args)
        return None
    except IdError as e:
        return e.code


class ResidentIds(unittest.TestCase):
    def test_the_published_example(self):
        self.assertEqual(ids.resident_id_check_char("11010519491231002"), "X")
        rid = ResidentId.parse("11010519491231002X")
        self.assertEqual(str(rid), "11010519491231002X")
        self.assertEqual(rid.number, "11010519491231002X")
        self.assertEqual(rid.region, "110105")
        self.assertEqual(rid.birth_date, Date(1949, 12, 31))
        self.assertEqual(rid.sequence, 2)
        self.assertIs(rid.sex, Sex.FEMALE)
        self.assertEqual(rid, ResidentId.parse("11010519491231002X"))

    def test_faults_and_their_messages(self):
        self.assertEqual(code(ResidentId.parse, "1101051949123100"), "bad-length")
        self.assertEqual(code(ResidentId.parse, "11010519491231002Y"), "bad-characters")
        with self.assertRaises(IdError) as lower:
            ResidentId.parse("11010519491231002x")
        self.assertEqual(lower.exception.code, ids.BAD_CHARACTERS)
        self.assertIn("capital X", str(lower.exception))
        self.assertIn("大写 X", lower.exception.message_zh)
        self.assertEqual(code(ResidentId.parse, " 11010519491231002X"), "bad-length")
        self.assertEqual(code(ResidentId.parse, "99010519491231002X"), "bad-region")
        self.assertEqual(code(ResidentId.parse, "110105194902300021"), "bad-birth-date")
        self.assertEqual(code(ResidentId.parse, "110105189912310023"), "bad-birth-date")
        with self.assertRaises(IdError) as bad:
            ResidentId.parse("110105194912310021")
        self.assertEqual(
            bad.exception.message,
            "the check digit is 1, but for these first 17 digits it must be X (GB 11643-1999)",
        )
        self.assertEqual(bad.exception.text().zh, "校验码为 1，但按前 17 位应为 X（GB 11643-1999）")
        self.assertEqual(code(ResidentId.parse, "身份证号码身份证"), "bad-length")
        with self.assertRaises(IdError) as old:
            ResidentId.parse("110105491231002")
        self.assertIn("first-generation", old.exception.message)
        with self.assertRaises(IdError) as letter:
            ResidentId.parse("1101051949123100AX")
        self.assertEqual(letter.exception.message.split("; ")[1], "character 17 is 'A'")

    def test_builds_valid_numbers(self):
        birth = Date(2026, 10, 20)
        for seq in (0, 1, 2, 457, 999):
            rid = ResidentId.build("350203", birth, seq)
            parsed = ResidentId.parse(str(rid))
            self.assertEqual(parsed, rid)
            self.assertEqual(parsed.birth_date, birth)
            self.assertEqual(parsed.sequence, seq)
            self.assertIs(parsed.sex, Sex.MALE if seq % 2 else Sex.FEMALE)
        self.assertEqual(code(ResidentId.build, "000000", birth, 1), "bad-region")
        self.assertEqual(code(ResidentId.build, "100000", birth, 1), "bad-region")
        self.assertEqual(code(ResidentId.build, "350203", birth, 1000), "bad-length")
        self.assertEqual(code(ResidentId.build, "350203", Date(1899, 12, 31), 1), "bad-birth-date")
        self.assertEqual(code(ResidentId.build, "350203", Date(2026, 2, 30), 1), "bad-birth-date")
        with self.assertRaises(ValueError):
            ResidentId.build("350203", birth, -1)
        self.assertIs(Sex.from_code("female"), Sex.FEMALE)
        self.assertIsNone(Sex.from_code("Male"))
        self.assertEqual(Sex.MALE.code, "male")


class CreditCodes(unittest.TestCase):
    def test_known_and_built(self):
        self.assertIsNone(ids.validate_uscc("9144030071526726XG"))
        self.assertEqual(code(ids.validate_uscc, "9144030071526726XH"), "bad-check-digit")
        self.assertEqual(code(ids.validate_uscc, "9144030071526726X"), "bad-length")
        self.assertEqual(code(ids.validate_uscc, "9144030071526726IG"), "bad-characters")
        self.assertEqual(code(ids.validate_uscc, "9144030071526726xg"), "bad-characters")
        self.assertEqual(code(ids.validate_uscc, "9199030071526726XN"), "bad-region")
        with self.assertRaises(IdError) as lower:
            ids.validate_uscc("9144030071526726xg")
        self.assertIn("write letters as capitals", lower.exception.message)
        self.assertTrue(lower.exception.message.startswith("'x' (character 17)"))
        self.assertEqual(ids.org_code_check_char("71526726"), "X")
        self.assertIsNone(ids.validate_org_code("71526726X"))
        self.assertEqual(code(ids.validate_org_code, "71526726-X"), "bad-length")
        self.assertEqual(code(ids.validate_org_code, "715267261"), "bad-check-digit")
        self.assertEqual(ids.uscc_check_char("9144030071526726X"), "G")
        built = ids.build_uscc("9", "1", "350200", "12345678")
        self.assertIsNone(ids.validate_uscc(built))
        self.assertEqual(built[:8], "91350200")
        self.assertEqual(ids.build_uscc("9", "1", "100000", "MA001234"), "91100000MA001234XJ")
        self.assertEqual(code(ids.build_uscc, "9", "1", "990000", "12345678"), "bad-region")
        self.assertEqual(code(ids.build_uscc, "9", "1", "350200", "1234567I"), "bad-characters")
        self.assertEqual(code(ids.build_uscc, "9", "1", "350200", "1234567"), "bad-length")
        self.assertEqual(code(ids.build_uscc, "I", "1", "350200", "12345678"), "bad-characters")
        with self.assertRaises(IdError) as region:
            ids.build_uscc("9", "1", "35020", "12345678")
        self.assertIn('"35020" is not one', region.exception.message)


class CardsPhonesPostcodes(unittest.TestCase):
    def test_shapes_and_check_digits(self):
        self.assertIsNone(ids.validate_bank_card("4111111111111111"))
        self.assertEqual(code(ids.validate_bank_card, "4111111111111112"), "bad-check-digit")
        self.assertEqual(code(ids.validate_bank_card, "41111"), "bad-card-number")
        self.assertEqual(code(ids.validate_bank_card, "4111 1111 1111 1111"), "bad-card-number")
        with self.assertRaises(IdError) as luhn:
            ids.validate_bank_card("4111111111111112")
        self.assertIn("the last digit is 2, but for the digits before it it must be 1", luhn.exception.message)
        self.assertEqual(ids.luhn_check_digit("411111111111111"), "1")
        self.assertIsNone(ids.luhn_check_digit(""))
        self.assertIsNone(ids.validate_mobile_phone("13800138000"))
        self.assertEqual(code(ids.validate_mobile_phone, "12800138000"), "bad-phone")
        self.assertEqual(code(ids.validate_mobile_phone, "1380013800０"), "bad-phone")
        self.assertIsNone(ids.validate_postal_code("361000"))
        for bad in ("36100", "3610001", "36100A", "３61000"):
            self.assertEqual(code(ids.validate_postal_code, bad), "bad-postal-code", bad)
