"""All configuration in one place, read from the environment (prefix ``COULISSE_``)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "development-only-not-secret"
PLACEHOLDER_SECRETS = {"", DEV_SECRET, "changeme", "change-me", "secret", "changethis"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COULISSE_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'coulisse.sqlite3'}"
    secret_key: str = DEV_SECRET
    base_url: str = "http://127.0.0.1:8000"
    session_lifetime_days: int = Field(default=30, ge=1, le=365)
    session_idle_days: int = Field(default=14, ge=1, le=365)
    aggregate_minimum: int = Field(default=5, ge=3)
    timezone: str = "Europe/Amsterdam"
    # The tablet's files: served under /static, and the shell the service worker keeps offline.
    web_dir: Path = ROOT / "web"
    # Login throttling: after this many failures, each next attempt waits longer (doubling).
    login_free_failures_per_account: int = 5
    login_free_failures_per_address: int = 30
    login_max_delay_seconds: int = 900
    # Addresses of the reverse proxies in front of the app, comma-separated. Only from these
    # are X-Forwarded-For and X-Forwarded-Proto believed; with none, the peer's own address
    # counts (a client cannot pick the address its login failures are counted against).
    trusted_proxies: str = ""
    # Overload is answered, not waited out (docs/sync.md, "Overload"): a request that cannot
    # get its turn at the database within these bounds gets 503 with Retry-After.
    # SQLite: how long a write waits for the process's one write turn.
    write_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    # PostgreSQL: each process's connections. processes × (pool size + overflow) must stay
    # below the server's max_connections (README, "Sizing the connections").
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    # How long a request waits for a free connection (either database).
    db_pool_timeout: float = Field(default=5.0, gt=0, le=60)
    # What the 503 asks the client to wait; the tablet adds a random part of it again.
    retry_after_seconds: int = Field(default=5, ge=1, le=300)

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        if self.environment == "production" and (
            self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32
        ):
            raise ValueError(
                "COULISSE_SECRET_KEY is a placeholder or shorter than 32 characters; "
                "set a long random value, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`"
            )
        ZoneInfo(self.timezone)
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def proxies(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def over_https(scheme: str) -> bool:
    """Whether the browser talks to the app over https: the request came in so, or the site's
    public address is https (behind a proxy that ends TLS, the app itself sees plain http)."""
    return scheme == "https" or get_settings().base_url.startswith("https")
