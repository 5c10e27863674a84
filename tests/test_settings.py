"""Configuration: placeholder secrets are refused outside development."""

import pytest
from pydantic import ValidationError

from app.settings import DEV_SECRET, Settings


@pytest.mark.parametrize("secret", [DEV_SECRET, "changeme", "", "short-but-real"])
def test_production_refuses_a_placeholder_or_short_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="COULISSE_SECRET_KEY"):
        Settings(environment="production", secret_key=secret)


def test_production_accepts_a_long_random_secret() -> None:
    s = Settings(environment="production", secret_key="x" * 20 + "a-long-random-value-123")
    assert s.environment == "production"


def test_development_runs_without_configuration() -> None:
    s = Settings(environment="development", secret_key=DEV_SECRET)
    assert s.aggregate_minimum == 5 and s.timezone == "Europe/Amsterdam"


def test_the_aggregate_minimum_is_never_below_three() -> None:
    with pytest.raises(ValidationError):
        Settings(aggregate_minimum=2)
