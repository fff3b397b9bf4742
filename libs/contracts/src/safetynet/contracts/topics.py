"""Every Kafka topic name, in one place. Messages are keyed by report id."""

REPORTS = "safetynet.intake.reports.v1"  # ReportReceived
COMMANDS = "safetynet.intake.commands.v1"  # dispatcher and unit actions, for routing
DECISIONS = "safetynet.screening.decisions.v1"  # ReportScreened
REFERRALS = "safetynet.routing.referrals.v1"  # referral lifecycle and report status
NOTIFICATIONS = "safetynet.notify.notifications.v1"  # notifications and SLA clock events

ALL = (REPORTS, COMMANDS, DECISIONS, REFERRALS, NOTIFICATIONS)
DEAD_LETTER_SUFFIX = ".dlq"


def dead_letter(topic: str) -> str:
    """The dead-letter topic that takes what `topic`'s consumers cannot process."""
    return topic + DEAD_LETTER_SUFFIX


ALL_WITH_DEAD_LETTERS = ALL + tuple(dead_letter(t) for t in ALL)
