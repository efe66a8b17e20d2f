"""Every request parser refuses a top-level field it does not read, naming it: config._read_request, which each
parse_*_request goes through, ends with Fields.done (the golden file's valid requests plus one unknown key)."""

import json

import pytest
from helpers import GOLDEN
from test_protocol import REQUEST_PARSERS

from toonlora_trainer.config_schema import ConfigError
from toonlora_trainer.protocol import parse_request_line


def valid_requests():
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()[1:]
    cases = [json.loads(line) for line in lines]
    return [c for c in cases if c["channel"] == "request" and c["valid"]]


@pytest.mark.parametrize("case", valid_requests(), ids=lambda c: c["note"])
def test_an_unknown_request_field_is_refused_by_name(case):
    parse = REQUEST_PARSERS[case["command"]]
    obj = parse_request_line(case["line"], case["command"])
    parse(obj)  # the line as the golden file has it parses
    with pytest.raises(ConfigError, match=r"^request: unknown field\(s\) \['surprise'\]"):
        parse({**obj, "surprise": 1})
