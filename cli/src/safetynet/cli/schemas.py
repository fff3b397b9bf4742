"""`safetynet contracts export`: the JSON Schemas of the public contracts."""

import argparse
import json
from pathlib import Path

from pydantic import BaseModel

from safetynet.contracts.commands import COMMAND_EVENT_TYPES, COMMAND_TYPES
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.events import EVENT_TYPES
from safetynet.contracts.report import ReportAccepted, ReportSubmission


def contract_models() -> dict[str, type[BaseModel]]:
    """Every public contract by file name: the report, the envelope, each event type."""
    models: dict[str, type[BaseModel]] = {
        "report": ReportSubmission,
        "report-accepted": ReportAccepted,
        "envelope": Envelope,
    }
    for name, model in {**EVENT_TYPES, **COMMAND_EVENT_TYPES}.items():
        models[f"event.{name}"] = model
    for name, model in COMMAND_TYPES.items():
        models[f"command.{name}"] = model
    return models


def export_schemas(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in contract_models().items():
        path = out / f"{name}.schema.json"
        path.write_text(
            json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        written.append(path)
    return written


async def run(args: argparse.Namespace) -> int:
    for path in export_schemas(Path(args.out)):
        print(path)
    return 0
