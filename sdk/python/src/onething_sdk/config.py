"""The configuration the operator set for this department
(``[config.<department>]`` in the host's configuration) and the secrets
it gave it (``[secrets.<department>]``): :func:`get`, :func:`keys`,
:func:`secret`, and :func:`require` / :func:`require_for` for a value a
step cannot do without (a permanent :class:`StepError` naming the key).

Prefer not to read a credential at all: the operator can have the host
add it to requests to the department's system as a header the plugin
never sees. Never log a secret. Natively these read what
:func:`onething_sdk.testkit.config` and :func:`~onething_sdk.testkit.secret` set.
"""

from __future__ import annotations

from typing import List, Optional

from . import _backend
from ._rustlike import is_blank
from .problems import StepError


def get(key: str) -> Optional[str]:
    """The value set under ``key``, if any."""
    return _backend.host().config_get(key)


def keys() -> List[str]:
    """Every key set, sorted (not the secrets)."""
    return list(_backend.host().config_keys())


def secret(name: str) -> Optional[str]:
    """The secret named ``name``, if the operator gave the department one."""
    return _backend.host().config_secret(name)


def require(key: str) -> str:
    """The value under ``key``, or a permanent :class:`StepError` naming the
    missing key (a person must set it). A blank value counts as missing."""
    value = get(key)
    if value is None or is_blank(value):
        raise StepError.permanent(f"the configuration value `{key}` is not set for this department")
    return value


def require_for(department: str, key: str) -> str:
    """As :func:`require`, the error also naming the department and where the
    operator sets the value (``[config.<department>] <key>``)."""
    try:
        return require(key)
    except StepError:
        raise StepError.permanent(
            f"department {department}: the configuration value `{key}` is not set "
            f"(set it under [config.{department}] in the host's configuration)"
        ) from None
