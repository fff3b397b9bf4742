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


class InvalidTransition(CommandError):
    """The case or referral is not in a state that allows the command."""
