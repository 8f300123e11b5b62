"""Text for people in both of the platform's languages.

Every title, purpose, problem message, document title, note and reason a
department gives is a :class:`Text` with a Simplified Chinese (``zh``) and
an English (``en``) version; the host shows the applicant the one asked
for, and refuses a manifest missing either. Not a translation service:
the department writes both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ._rustlike import is_blank


@dataclass(frozen=True)
class Text:
    """A text in Chinese (``zh``) and English (``en``)."""

    zh: str
    en: str

    def __post_init__(self) -> None:
        if not isinstance(self.zh, str) or not isinstance(self.en, str):
            raise TypeError(
                f"Text takes two str (Chinese, English), not {type(self.zh).__name__} "
                f"and {type(self.en).__name__}"
            )

    def get(self, language: str) -> str:
        """The version for ``language``: ``en…`` gives English, anything else
        Chinese (as the host does for an applicant asking for neither)."""
        return self.en if language.startswith("en") else self.zh

    @property
    def is_incomplete(self) -> bool:
        """Whether either version is blank (the host refuses such a text in
        a manifest)."""
        return is_blank(self.zh) or is_blank(self.en)

    @staticmethod
    def join(texts: Iterable["Text"]) -> "Text":
        """The texts joined into one: Chinese with ``；``, English with ``; ``."""
        texts = list(texts)
        return Text("；".join(t.zh for t in texts), "; ".join(t.en for t in texts))

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def text(zh: str, en: str) -> Text:
    """A text in Chinese (``zh``) and English (``en``)."""
    return Text(zh, en)
