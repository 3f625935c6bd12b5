"""Exit codes and the one exception of the drift check (see drift_check.py for what each code means).

On 3-6 the program never reports a verdict; on 10 (too few rows to judge) it reports "insufficient data".
"""

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_CONFIG = 2
EXIT_MISSING_FILE = 3
EXIT_COLUMN = 4
EXIT_EMPTY = 5
EXIT_UNREADABLE = 6
EXIT_PUSH = 7
EXIT_RETRAIN = 8
EXIT_OUTPUT = 9
EXIT_INSUFFICIENT = 10

ERROR_REASONS = {
    EXIT_MISSING_FILE: "missing_file",
    EXIT_COLUMN: "missing_or_invalid_column",
    EXIT_EMPTY: "empty_window",
    EXIT_UNREADABLE: "unreadable_data",
}


class DriftError(Exception):
    """A failure with its exit code."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
