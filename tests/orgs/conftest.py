import pytest

from tests.factories import UserFactory


@pytest.fixture
def admin(db):
    return UserFactory(username="boss", roles=["platform_admin"])
