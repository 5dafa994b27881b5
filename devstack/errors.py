"""The one exception type the stack raises for anything the user has to act on."""

from __future__ import annotations


class StackError(RuntimeError):
    """The local stack could not be prepared, started or stopped; the message says what and why."""
