import pytest

from .factories import place as make_place


@pytest.fixture
def p(db):
    return make_place()
