"""Licensing: the installation's tier, verified against Stripe (PRODUCT.md §2).

- `keys`: the Stripe key and the cache-sealing secret (OS keyring, or environment variables
  on headless machines). Secrets never reach SQLite, logs or config files.
- `stripe_client`: the official SDK over httpx, with explicit timeouts and a bounded retry.
- `resolve`: Stripe subscriptions -> tier (pure rules).
- `cache`: the last verified licence, sealed with an HMAC so editing the database cannot
  raise the tier.
- `service`: activate, refresh, status, logout, and the automatic daily check.
- `checkout`: Checkout (upgrade) and Billing Portal session URLs.
"""
