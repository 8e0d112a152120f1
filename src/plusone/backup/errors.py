"""The one error type of backup and restore, carrying the command's exit code."""

from __future__ import annotations


class BackupError(Exception):
    """A failure with a message for the operator; ``returncode`` is 2 for usage, 1 for data."""

    def __init__(self, message: str, *, returncode: int = 1) -> None:
        super().__init__(message)
        self.returncode = returncode
