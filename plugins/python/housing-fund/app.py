"""The component's entry module: componentize-py builds ``app`` and finds
its ``Handler``, the ``handler`` export of the ``department`` world.

The samples are typical applications the build runs before the snapshot
is taken (as far as each gets before calling the host), so every call
starts with their paths already run."""

from housing_fund import STEP, HousingFund
from onething_sdk import export

_SAMPLE = {
    "enterprise.uscc": "91350206MA2Y3K5P9T",
    "enterprise.name": "厦门鹭岛茶业有限公司",
    "enterprise.employee_count": 8,
}

Handler = export(
    HousingFund,
    samples=[(STEP, _SAMPLE), (STEP, {**_SAMPLE, "enterprise.employee_count": 0})],
)
