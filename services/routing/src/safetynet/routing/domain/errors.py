"""Why a command does not apply. The message is the reason a dispatcher reads."""


class CommandError(Exception):
    """The command does not apply to the case as it stands; nothing changed."""


class UnknownReport(CommandError):
    pass


class WrongCounty(CommandError):
    pass


class UnknownReferral(CommandError):
    pass


class UnknownUnit(CommandError):
    pass


class InvalidOutcome(CommandError):
    """An outcome or reason outside the vocabulary (safetynet.policy.outcomes)."""


class InvalidReviewDate(CommandError):
    """A long-term care review date in the past or too far ahead (safetynet.policy.long_term_care)."""


class NotLongTermCareUnit(CommandError):
    """Only a welfare center keeps a household in long-term care."""


class InvalidTransition(CommandError):
    """The case or referral is not in a state that allows the command."""
