"""core.env: typed environment variables for the settings, refusing what they cannot read."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_float, env_floats, env_int, env_json_object, env_list


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, True), ("", True), ("1", True), ("yes", True), ("ON", True), ("false", False),
     ("0", False), (" no ", False), ("off", False)],
)  # fmt: skip
def test_env_bool_reads_yes_and_no_words_and_falls_back_to_the_default(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("JK_FLAG", raising=False)
    else:
        monkeypatch.setenv("JK_FLAG", raw)
    assert env_bool("JK_FLAG", True) is expected


@pytest.mark.parametrize(
    ("reader", "raw", "message"),
    [
        (lambda: env_bool("JK_VALUE", False), "maybe", "JK_VALUE='maybe' is not a yes/no value"),
        (lambda: env_int("JK_VALUE", 5), "5.5", "JK_VALUE='5.5' is not a whole number"),
        (lambda: env_int("JK_VALUE", 5, minimum=1), "0", "a whole number of at least 1"),
        (lambda: env_float("JK_VALUE", 1.0), "fast", "JK_VALUE='fast' is not a number"),
        (lambda: env_float("JK_VALUE", 1.0), "nan", "JK_VALUE='nan' is not a finite number"),
        (lambda: env_floats("JK_VALUE", "1,2", count=4), "1,2,3", "4 comma-separated numbers"),
        (lambda: env_floats("JK_VALUE", "1,2", count=2), "1,north", "2 comma-separated numbers"),
        (lambda: env_json_object("JK_VALUE"), "{'a': 1}", "JK_VALUE=\"{'a': 1}\" is not valid"),
        (lambda: env_json_object("JK_VALUE"), "[1]", "is not a JSON object"),
    ],
)
def test_a_value_that_cannot_be_read_is_refused_naming_the_variable(
    monkeypatch, reader, raw, message
):
    monkeypatch.setenv("JK_VALUE", raw)
    with pytest.raises(ImproperlyConfigured, match="Environment variable JK_VALUE=") as error:
        reader()
    assert message in str(error.value)


def test_readers_return_typed_values_and_defaults(monkeypatch):
    monkeypatch.setenv("JK_INT", " 42 ")
    monkeypatch.setenv("JK_FLOAT", "2.5")
    monkeypatch.setenv("JK_BOX", "32.1, 119.4,32.3,119.7")
    monkeypatch.setenv("JK_LIST", "a, b,,c ")
    monkeypatch.setenv("JK_JSON", '{"staff": ["sms"]}')
    monkeypatch.setenv("JK_EMPTY", "")
    assert env_int("JK_INT", 1) == 42
    assert env_float("JK_FLOAT", 1.0) == 2.5
    assert env_floats("JK_BOX", "0,0,0,0", count=4) == (32.1, 119.4, 32.3, 119.7)
    assert env_list("JK_LIST") == ["a", "b", "c"]
    assert env_json_object("JK_JSON") == {"staff": ["sms"]}
    assert env_int("JK_EMPTY", 7) == 7
    assert env_list("JK_EMPTY", "x,y") == ["x", "y"]
    assert env_json_object("JK_EMPTY") == {}
