"""`safetynet audit verify|checkpoint`: intake's audit trail against its keyed chain and
the checkpoints kept outside the database (SAFETYNET_AUDIT_CHECKPOINT_FILE).

verify: exit 0 when the whole chain holds and agrees with every checkpoint, 1 naming the
first record or checkpoint that does not. checkpoint: verify, then append the chain's
signed head to the checkpoint file; exit 1, writing nothing, when the trail does not verify.
"""

import argparse

from safetynet.cli.database import open_engine
from safetynet.intake import admin as intake
from safetynet.intake.settings import IntakeSettings


async def run(args: argparse.Namespace) -> int:
    settings = IntakeSettings()
    async with open_engine(settings) as engine:
        check = await intake.verify_audit_trail(engine=engine, settings=settings)
    print(describe(check))
    verdict = check.verdict
    if not check.intact or verdict is None:
        return 1
    if args.audit_command == "checkpoint":
        path = intake.write_audit_checkpoint(settings=settings, check=check)
        print(f"checkpoint written to {path}: record {verdict.last_seq}, head {verdict.head}")
    return 0


def describe(check: intake.AuditCheck) -> str:
    verdict = check.verdict
    if check.bad_checkpoints is not None or verdict is None:
        return f"audit checkpoints BROKEN: {check.bad_checkpoints} ({check.checkpoint_file})"
    if verdict.broken is not None:
        return (
            f"audit trail BROKEN at {verdict.broken.describe()}\n"
            f"the {verdict.count - 1} records before it verify; the last good hash is {verdict.head}"
        )
    if verdict.checkpoint_problem is not None:
        return f"audit trail BROKEN: {verdict.checkpoint_problem}"
    return f"audit trail intact: {verdict.count} records, head {verdict.head}, {check.checkpoints} checkpoints agree"
