"""Licensing errors, each with the CLI exit code it maps to (see `flowlogic.errors`)."""

from __future__ import annotations

from flowlogic.errors import FlowLogicError, UsageError


class KeyringUnavailable(UsageError):
    """No usable OS keyring (headless machine) and no environment variable to fall back on."""

    code = "NO_KEYRING"


class StripeKeyMissing(UsageError):
    code = "NO_STRIPE_KEY"


class StripeKeyRejected(UsageError):
    """Stripe answered 401/403: the key is wrong, revoked, or lacks read access."""

    code = "STRIPE_KEY_REJECTED"


class StripeUnreachable(FlowLogicError):
    """Connection refused, timeout, or a 5xx / 429 from Stripe: treated as offline."""

    exit_code = 6
    code = "STRIPE_UNREACHABLE"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class StripeRequestFailed(FlowLogicError):
    """Stripe answered, but not with what we asked for (e.g. an endpoint it lacks)."""

    exit_code = 6
    code = "STRIPE_ERROR"
