"""Errors the core raises on purpose, each with the CLI exit code it maps to.

Exit codes (documented in the README and `flowlogic --help`):
0 valid result · 1 internal error · 2 usage · 3 quality gate failed ·
4 refused (consent, tier, cap) · 5 input refused before analysis ·
6 Stripe could not be reached or could not complete a licence request.
"""

from __future__ import annotations


class FlowLogicError(Exception):
    """Base class: a one-line message meant for the user, and an exit code."""

    exit_code = 1
    code = "ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class UsageError(FlowLogicError):
    """A command was called with arguments that make no sense (unknown test, bad view)."""

    exit_code = 2
    code = "USAGE"


class RefusedError(FlowLogicError):
    """The action is not allowed right now: no consent, locked by tier, over a cap."""

    exit_code = 4
    code = "REFUSED"


class ConsentRequired(RefusedError):
    code = "CONSENT_REQUIRED"


class InputRefused(FlowLogicError):
    """The input cannot be analysed at all (missing, unreadable, too long, too large...)."""

    exit_code = 5
    code = "INPUT_REFUSED"


class NotFound(FlowLogicError):
    """A stored thing (profile, assessment) does not exist."""

    exit_code = 2
    code = "NOT_FOUND"


class MovementNotFound(FlowLogicError):
    """A scorer found none of the movement its test asks for (for example a squat
    recorded for the lateral lunge): the attempt fails like the NO_MOTION gate, with a
    message that says what was seen instead."""

    exit_code = 3
    code = "NO_MOTION"
