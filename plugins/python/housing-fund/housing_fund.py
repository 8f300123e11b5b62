"""The housing provident fund management centre (住房公积金管理中心) as a
OneThing department, in Python: the port of the Rust department in
``plugins/departments/housing-fund``, passing the same declarative cases.

Step ``employer-account`` (单位住房公积金缴存登记): opens the new
employer's contribution account. Rules: the credit code is valid and
from a Xiamen registration authority; the enterprise has at least one
employee (an employer without staff need not open an account).

The account is opened in the housing fund's system (``POST
{base_url}/employer-accounts``, with the step's idempotency key), which
issues the account number; an employer that has one already (409
``already-registered``) keeps it, so a re-run answers what the first run
did. The system's prefix is the configuration value ``base_url``; the
host adds its credential.
"""

from onething_sdk import (
    Department,
    Fields,
    Manifest,
    Problem,
    Problems,
    StepError,
    StepSpec,
    approve,
    config,
    http,
    log,
)

#: Department id.
DEPARTMENT = "housing-fund"

#: Step id.
STEP = "employer-account"

#: The plugin's version (the Rust department's, the plugins workspace's).
VERSION = "1.0.0"

#: Region-code prefix this centre covers (Xiamen).
REGION_PREFIX = "3502"

#: The configuration key holding the housing fund system's prefix
#: (``http://…/housing-fund/v1``).
BASE_URL = "base_url"


def spec() -> StepSpec:
    """The step: what it reads and writes, and its time limit."""
    return (
        StepSpec(STEP, "单位住房公积金缴存登记", "Employer's housing fund account")
        .reads("enterprise.uscc", "登记缴存单位", "To register the employer")
        .reads("enterprise.name", "登记缴存单位名称", "To register the employer's name")
        .reads("enterprise.employee_count", "核定缴存职工人数", "To set how many employees contribute")
        .writes("housing_fund.employer_account_number")
        .time_limit_hours(8)
    )


def check_fields(f: Fields) -> Problems:
    """Every problem with the step's fields (a draft's or a request's)."""
    p = Problems()
    uscc = p.take(f.issued_uscc, "enterprise.uscc")
    if uscc is not None and not uscc[2:8].startswith(REGION_PREFIX):
        p.field(
            "enterprise.uscc",
            "not-local",
            "企业登记机关不在本市，请到所在地公积金中心开户",
            "The enterprise was registered outside Xiamen: please open the account with the local housing fund centre",
        )
    p.take(f.require_text, "enterprise.name")
    count = p.take(f.require_integer, "enterprise.employee_count")
    if count is not None and count < 1:
        p.field(
            "enterprise.employee_count",
            "no-employees",
            "单位暂无职工的，无需办理住房公积金缴存登记",
            "An employer without employees need not open a housing fund account",
        )
    return p


class HousingFund(Department):
    """The department."""

    def describe(self) -> Manifest:
        return Manifest(
            DEPARTMENT, "厦门市住房公积金中心", "Xiamen Housing Provident Fund Centre", VERSION
        ).step(spec())

    def check(self, draft):
        if draft.step != STEP:
            return [Problem.unknown_step(draft.step)]
        return check_fields(draft.fields)

    def prefill(self, draft):
        return []

    def handle(self, request):
        if request.step != STEP:
            raise StepError.unknown_step(request.step)
        f = request.fields
        uscc = f.text("enterprise.uscc") or ""
        name = f.text("enterprise.name") or ""

        def open_and_approve():
            account = open_account(request.idempotency_key, uscc, name)
            log.info("employer account opened", step=STEP, application=request.application)
            return (
                approve()
                .field("housing_fund.employer_account_number", account)
                .document(
                    "housing-fund-registration",
                    account,
                    "住房公积金单位缴存登记回执",
                    "Housing fund employer registration receipt",
                )
                .note(
                    "请于每月 15 日前为职工汇缴住房公积金，缴存比例 5%–12%",
                    "Pay your employees' housing fund contributions by the 15th of each month, at 5% to 12% of wages",
                )
            )

        return check_fields(f).into_outcome(open_and_approve)


def open_account(idempotency_key: str, uscc: str, name: str) -> str:
    """Open the employer's account in the housing fund system: the account
    number it issued, or the one the employer already holds."""
    base = config.require_for(DEPARTMENT, BASE_URL)
    response = (
        http.post_json(f"{base.rstrip('/')}/employer-accounts", {"uscc": uscc, "name": name})
        .idempotency_key(idempotency_key)
        .send()
    )
    number = response.problem_member("already-registered", "number")
    if number is not None:
        log.info("employer had an account already", step=STEP, number=number)
        return number
    return response.error_for_status().json_member("account_number")
