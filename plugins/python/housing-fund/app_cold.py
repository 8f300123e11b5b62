"""The same department without the warm-up snapshot: built only by
``cargo xtask bench``, whose ``guest_cost`` measures what the warm-up
saves. Not for serving."""

from housing_fund import HousingFund
from onething_sdk import export

Handler = export(HousingFund, warm_up=False)
