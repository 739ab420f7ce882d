"""The local exchange's API keys table: keys, secrets, roles, per-key nonce high-water marks and last-seen times."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import SecretStr

__all__ = [
    "ALL_ROLES",
    "AUDITOR",
    "DEMO_API_KEY",
    "DEMO_API_SECRET",
    "DEMO_AUDITOR_API_KEY",
    "DEMO_AUDITOR_API_SECRET",
    "DEMO_BALANCES",
    "DEMO_MASTER_API_KEY",
    "DEMO_MASTER_API_SECRET",
    "DEMO_SECONDARY_ACCOUNT_NAME",
    "DEMO_SECONDARY_BALANCES",
    "DEMO_WS_API_KEY",
    "DEMO_WS_API_SECRET",
    "MASTER_KEY_PREFIX",
    "FUND_MANAGER",
    "TRADER",
    "ApiKey",
    "KeyStore",
    "demo_keys",
    "demo_master_key",
]

# Role names as Gemini spells them in MissingRole messages (https://developer.gemini.com/authentication/api-key).
TRADER = "Trader"
FUND_MANAGER = "FundManager"
AUDITOR = "Auditor"
ALL_ROLES: frozenset[str] = frozenset({TRADER, FUND_MANAGER, AUDITOR})

# DEMO ONLY. These credentials are public, live in the source code and work only against the embedded local
# exchange on 127.0.0.1. They are shaped like Gemini account-level keys ("account-" + 20 alphanumerics) so the
# client treats them exactly like real ones. Never use them, or anything derived from them, for a real venue.
DEMO_API_KEY = "account-LocalDemoTrader00001"
DEMO_API_SECRET = "LocalDemoSecretNotForRealUse"
# A read-only Auditor key on the same demo account (used to exercise MissingRole).
DEMO_AUDITOR_API_KEY = "account-LocalDemoAuditor0001"
DEMO_AUDITOR_API_SECRET = "LocalDemoAuditSecretNotReal1"

# A Trader key on the same demo account created with a time-based nonce (Unix seconds, within ±30 s of server time;
# https://developer.gemini.com/authentication/api-key): the kind of key Gemini's new WebSocket API requires
# (https://docs.gemini.com/websocket/introduction). The REST API accepts it too. The demo Trader key above keeps
# the counter nonce (increasing, ms) that today's REST client sends.
DEMO_WS_API_KEY = "account-LocalDemoTimeNonce01"
DEMO_WS_API_SECRET = "LocalDemoTimeNonceSecretNotReal"

# A master key over the demo group: sub-accounts "primary" (the demo account) and "secondary"
# (https://developer.gemini.com/authentication/api-key). It must name the sub-account in every payload's "account"
# field.
MASTER_KEY_PREFIX = "master-"
DEMO_MASTER_API_KEY = "master-LocalDemoMaster000001"
DEMO_MASTER_API_SECRET = "LocalDemoMasterSecretNotReal"
DEMO_SECONDARY_ACCOUNT_NAME = "secondary"
DEMO_SECONDARY_BALANCES: dict[str, str] = {"USD": "75000", "BTC": "1.5", "ETH": "20"}

# Starting balances of the demo account "primary" (currency → amount, decimal strings).
DEMO_BALANCES: dict[str, str] = {
    "USD": "500000",
    "BTC": "10",
    "ETH": "200",
    "SOL": "5000",
    "LTC": "1000",
    "DOGE": "1000000",
    "GUSD": "25000",
}


@dataclass(frozen=True)
class ApiKey:
    """One API key ("session" in Gemini's words) of the local exchange.

    Attributes:
        key: the public key sent in ``X-GEMINI-APIKEY``, e.g. ``"account-LocalDemoTrader00001"``. It is also the
            ``api_session`` of the orders this key places (order events, ``apiSessionFilter``).
        secret: the HMAC-SHA384 secret; unwrapped only where a signature is computed.
        account_id: the engine account this key acts on.
        roles: a subset of ``{"Trader", "FundManager", "Auditor"}``
            (https://developer.gemini.com/authentication/api-key).
        require_heartbeat: if true, 30 s without an authenticated call cancels the orders this key placed.
        time_based_nonce: if true, nonces are Unix seconds within ±30 s of server time instead of increasing.
        accounts: for a master key (``"master-..."``), its group's sub-accounts by nickname → engine account id;
            ``account_id`` is then only the group's default and a payload must name its ``account``.

    Raises:
        ValueError: unknown roles; a ``master-`` key without sub-accounts, or sub-accounts on an account key;
            a master key with ``require_heartbeat`` (Gemini: master keys have no cancel-on-disconnect).
    """

    key: str
    secret: SecretStr
    account_id: int
    roles: frozenset[str] = field(default_factory=lambda: frozenset({TRADER}))
    require_heartbeat: bool = False
    time_based_nonce: bool = False
    accounts: Mapping[str, int] = field(default_factory=dict, hash=False)

    @property
    def nonce_kind(self) -> str:
        """``"time-based"`` (Unix seconds within ±30 s; the new WebSocket API needs it) or ``"counter"``
        (increasing from call to call)."""
        return "time-based" if self.time_based_nonce else "counter"

    @property
    def is_master(self) -> bool:
        """True for a master (group) key: its public string starts with ``master-``."""
        return self.key.startswith(MASTER_KEY_PREFIX)

    def __post_init__(self) -> None:
        if not isinstance(self.secret, SecretStr):  # accept a plain str for convenience, store it wrapped
            object.__setattr__(self, "secret", SecretStr(str(self.secret)))
        roles = frozenset(self.roles)
        unknown = roles - ALL_ROLES
        if unknown:
            raise ValueError(f"unknown role(s) {sorted(unknown)}; expected a subset of {sorted(ALL_ROLES)}")
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "accounts", dict(self.accounts))
        if self.is_master and not self.accounts:
            raise ValueError("a master key needs at least one sub-account")
        if self.accounts and not self.is_master:
            raise ValueError("only master keys ('master-...') act on sub-accounts")
        if self.is_master and self.require_heartbeat:
            raise ValueError("master keys do not support Require Heartbeat sessions")


def demo_keys(account_id: int) -> list[ApiKey]:
    """Return the built-in demo keys bound to ``account_id``: a Trader key (counter nonce), an Auditor key, and a
    Trader key with a time-based nonce (:data:`DEMO_WS_API_KEY`, the one the new WebSocket API accepts)."""
    return [
        ApiKey(DEMO_API_KEY, SecretStr(DEMO_API_SECRET), account_id, frozenset({TRADER})),
        ApiKey(DEMO_AUDITOR_API_KEY, SecretStr(DEMO_AUDITOR_API_SECRET), account_id, frozenset({AUDITOR})),
        ApiKey(DEMO_WS_API_KEY, SecretStr(DEMO_WS_API_SECRET), account_id, frozenset({TRADER}), time_based_nonce=True),
    ]


def demo_master_key(accounts: Mapping[str, int]) -> ApiKey:
    """Return the built-in demo master key (Trader role) over ``accounts`` (nickname → engine account id)."""
    default = next(iter(accounts.values()))
    return ApiKey(
        DEMO_MASTER_API_KEY, SecretStr(DEMO_MASTER_API_SECRET), default, frozenset({TRADER}), accounts=accounts
    )


class KeyStore:
    """The API keys table plus the mutable per-key state the authenticator needs.

    Per key it remembers the highest nonce accepted so far (a ``Decimal``: nonces arrive as int, float or numeric
    string and are compared numerically) and the time of the last authenticated call in ms (the "Require
    Heartbeat" timer, https://developer.gemini.com/authentication/api-key). Not thread-safe: the server uses it from its
    event loop only.
    """

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._last_nonce: dict[str, Decimal] = {}
        self._last_seen_ms: dict[str, int] = {}
        for key in keys:
            self.add(key)

    def add(self, key: ApiKey) -> None:
        """Add ``key``, replacing any key with the same public key string (and forgetting its nonce state)."""
        self._keys[key.key] = key
        self._last_nonce.pop(key.key, None)
        self._last_seen_ms.pop(key.key, None)

    def get(self, key: str) -> ApiKey | None:
        """Return the key whose public string is ``key``, or None."""
        return self._keys.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[ApiKey]:
        return iter(list(self._keys.values()))

    def __len__(self) -> int:
        return len(self._keys)

    def keys_for_account(self, account_id: int) -> list[ApiKey]:
        """Return every key acting on ``account_id``."""
        return [k for k in self._keys.values() if k.account_id == account_id]

    # -- nonce high-water marks ------------------------------------------------------------------------------------

    def last_nonce(self, key: str) -> Decimal | None:
        """Return the highest nonce accepted for ``key`` so far, or None before its first call."""
        return self._last_nonce.get(key)

    def record_nonce(self, key: str, nonce: Decimal) -> None:
        """Remember ``nonce`` as accepted for ``key`` (the high-water mark never goes down)."""
        previous = self._last_nonce.get(key)
        if previous is None or nonce > previous:
            self._last_nonce[key] = nonce

    # -- heartbeat timer -------------------------------------------------------------------------------------------

    def touch(self, key: str, now_ms: int) -> None:
        """Record an authenticated call by ``key`` at ``now_ms`` (any such call is a heartbeat)."""
        self._last_seen_ms[key] = now_ms

    def last_seen_ms(self, key: str) -> int | None:
        """Return the time in ms of ``key``'s last authenticated call, or None if its heartbeat timer is not running."""
        return self._last_seen_ms.get(key)

    def forget_seen(self, key: str) -> None:
        """Stop ``key``'s heartbeat timer (after its session expired); the next authenticated call restarts it."""
        self._last_seen_ms.pop(key, None)
