"""Secrets: the Stripe API key and the secret that seals the licence cache.

Both live in the OS keyring under the service name "flowlogic". Headless machines (no
keyring backend) use environment variables instead: FLOWLOGIC_STRIPE_KEY for the key,
FLOWLOGIC_CACHE_SECRET for the sealing secret. An environment variable, when set, wins over
the keyring. Nothing here is ever written to SQLite, logs or config files.

`keyring` is imported on first use: an installation without a licence never loads it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from flowlogic.errors import UsageError
from flowlogic.licence.errors import KeyringUnavailable, StripeKeyMissing
from flowlogic.licence.settings import message, settings

SERVICE = "flowlogic"
STRIPE_KEY_ACCOUNT = "stripe-api-key"
CACHE_SECRET_ACCOUNT = "licence-cache-secret"
STRIPE_KEY_ENV = "FLOWLOGIC_STRIPE_KEY"
CACHE_SECRET_ENV = "FLOWLOGIC_CACHE_SECRET"
KEY_PREFIXES = ("sk_", "rk_")
_ENV_DERIVATION_LABEL = b"flowlogic licence cache seal v1"


def _keyring_call(operation: str, *args: str) -> str | None:
    """Run one keyring operation ("get_password", "set_password", "delete_password"),
    turning a missing or failing backend into one clear message."""
    import keyring
    import keyring.errors
    from keyring.backends import fail

    if isinstance(keyring.get_keyring(), fail.Keyring):
        raise KeyringUnavailable(message("no_keyring"))
    try:
        return getattr(keyring, operation)(*args)
    except keyring.errors.NoKeyringError:
        raise KeyringUnavailable(message("no_keyring")) from None
    except keyring.errors.KeyringError as error:
        detail = type(error).__name__
        raise KeyringUnavailable(message("keyring_failed", detail=detail)) from None


def keyring_available() -> bool:
    try:
        _keyring_call("get_password", SERVICE, CACHE_SECRET_ACCOUNT)
    except KeyringUnavailable:
        return False
    return True


def validate_stripe_key(key: str) -> str:
    key = key.strip()
    if not key.startswith(KEY_PREFIXES) or len(key) < 8 or any(c.isspace() for c in key):
        raise UsageError(
            "That does not look like a Stripe secret or restricted key (sk_... or rk_...)."
        )
    return key


def stripe_key_source() -> str | None:
    """Where the Stripe key would come from: "env", "keyring", or None (no key, or no
    keyring and no environment variable)."""
    if os.environ.get(STRIPE_KEY_ENV, "").strip():
        return "env"
    try:
        stored = _keyring_call("get_password", SERVICE, STRIPE_KEY_ACCOUNT)
    except KeyringUnavailable:
        return None
    return "keyring" if stored else None


def stripe_key() -> str:
    """The Stripe key: FLOWLOGIC_STRIPE_KEY, else the keyring. Raises with what to do."""
    from_env = os.environ.get(STRIPE_KEY_ENV, "").strip()
    if from_env:
        return validate_stripe_key(from_env)
    stored = _keyring_call("get_password", SERVICE, STRIPE_KEY_ACCOUNT)
    if not stored:
        raise StripeKeyMissing(message("no_stripe_key"))
    return stored


def store_stripe_key(key: str) -> None:
    _keyring_call("set_password", SERVICE, STRIPE_KEY_ACCOUNT, validate_stripe_key(key))


def forget_stripe_key() -> bool:
    """Remove the stored key. Returns whether there was one."""
    if not _keyring_call("get_password", SERVICE, STRIPE_KEY_ACCOUNT):
        return False
    _keyring_call("delete_password", SERVICE, STRIPE_KEY_ACCOUNT)
    return True


def cache_secret(*, create: bool) -> bytes:
    """The key of the licence cache's MAC.

    From FLOWLOGIC_CACHE_SECRET (derived with HMAC-SHA256, so the raw variable is never the
    key itself), else a random 32-byte secret in the keyring, created on first use when
    `create` is true. Raises `KeyringUnavailable` when neither is possible.
    """
    from_env = os.environ.get(CACHE_SECRET_ENV, "")
    if from_env:
        minimum = settings().min_cache_secret_chars
        if len(from_env) < minimum:
            raise UsageError(message("short_cache_secret", min_chars=minimum))
        return hmac.new(_ENV_DERIVATION_LABEL, from_env.encode(), hashlib.sha256).digest()
    stored = _keyring_call("get_password", SERVICE, CACHE_SECRET_ACCOUNT)
    if stored:
        return stored.encode()
    if not create:
        raise KeyringUnavailable("no sealing secret is stored in the keyring.")
    fresh = secrets.token_hex(32)
    _keyring_call("set_password", SERVICE, CACHE_SECRET_ACCOUNT, fresh)
    return fresh.encode()
