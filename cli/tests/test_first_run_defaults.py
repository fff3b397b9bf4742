"""What a first run and a hand-started cluster get without any flag: distinct ports for
the four services, readable logs at a terminal, JSON in production."""

import json
import logging

import pytest

from safetynet.cli import main as cli
from safetynet.cli.telemetry import JsonFormatter, setup_logging


def test_each_service_has_its_own_default_port(monkeypatch):
    seen = {}

    async def fake_run(args):
        seen[args.service] = args.port
        return 0

    monkeypatch.setattr(cli, "run", fake_run)
    for service in ("intake", "screening", "routing", "notify"):
        with pytest.raises(SystemExit):
            cli.main(["serve", service])
    assert seen == {"intake": 8000, "screening": 8001, "routing": 8002, "notify": 8003}
    with pytest.raises(SystemExit):
        cli.main(["serve", "routing", "--port", "9000"])
    assert seen["routing"] == 9000


@pytest.mark.parametrize(
    "env, readable, want_json", [(None, False, True), (None, True, False), ("json", True, True), ("text", False, False)]
)
def test_log_format_follows_the_setting_then_the_caller(monkeypatch, env, readable, want_json):
    if env is None:
        monkeypatch.delenv("SAFETYNET_LOG_FORMAT", raising=False)
    else:
        monkeypatch.setenv("SAFETYNET_LOG_FORMAT", env)
    try:
        setup_logging(logging.INFO, readable=readable)
        formatter = logging.getLogger().handlers[0].formatter
        line = formatter.format(logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None))
        assert isinstance(formatter, JsonFormatter) is want_json
        assert (json.loads(line)["message"] == "hello") if want_json else line.endswith("x: hello")
    finally:
        setup_logging(logging.INFO)
