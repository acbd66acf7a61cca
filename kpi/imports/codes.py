"""The stable codes of import problems: what a program reads (`code`), next to the Chinese message a person reads."""

from dataclasses import dataclass
from enum import StrEnum


class ImportCode(StrEnum):
    # errors: nothing is written while one remains
    NOT_A_NUMBER = "NOT_A_NUMBER"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NEGATIVE = "NEGATIVE"
    NOT_WHOLE = "NOT_WHOLE"
    PART_ABOVE_WHOLE = "PART_ABOVE_WHOLE"
    UNKNOWN_BRANCH = "UNKNOWN_BRANCH"
    AMBIGUOUS_BRANCH = "AMBIGUOUS_BRANCH"
    MISSING_BRANCH = "MISSING_BRANCH"
    NOT_IN_SCOPE = "NOT_IN_SCOPE"
    UNKNOWN_COMPONENT = "UNKNOWN_COMPONENT"
    AMBIGUOUS_COLUMN = "AMBIGUOUS_COLUMN"
    NO_MONTH = "NO_MONTH"
    BAD_MONTH = "BAD_MONTH"
    MONTH_CONFLICT = "MONTH_CONFLICT"
    FUTURE_MONTH = "FUTURE_MONTH"
    MONTH_LOCKED = "MONTH_LOCKED"
    MONTH_SUBMITTED = "MONTH_SUBMITTED"
    DUPLICATE = "DUPLICATE"
    NO_TABLE = "NO_TABLE"
    BAD_FILE = "BAD_FILE"
    # warnings: shown, never block
    DERIVED_IGNORED = "DERIVED_IGNORED"
    COLUMN_IGNORED = "COLUMN_IGNORED"


WARNINGS = {ImportCode.DERIVED_IGNORED, ImportCode.COLUMN_IGNORED}


@dataclass(frozen=True)
class Problem:
    """One error or warning of an import: its code, where (`Sheet1!C7`, or `figures[3]` in the API), the raw value,
    what was expected, in Chinese."""

    code: ImportCode
    message: str
    ref: str = ""
    value: str = ""
    expected: str = ""

    @property
    def is_warning(self) -> bool:
        return self.code in WARNINGS

    def as_dict(self) -> dict:
        return {"code": self.code.value, "message": self.message, "cell": self.ref, "value": self.value, "expected": self.expected}
