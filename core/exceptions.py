"""Domain errors. Services raise these; views, admin actions and the API turn them into messages.

Messages are for people: they say what was wrong and what to do.
"""


class ApplicationError(Exception):
    def __init__(self, message, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def __str__(self):
        return str(self.message)


class OutOfScope(ApplicationError):
    """The acting user may not see or act on this object."""


class IllegalTransition(ApplicationError):
    """The object is not in a state that allows this action (or it changed meanwhile)."""


class InvalidTreeMove(ApplicationError):
    """An organization unit would end up under a parent of the wrong level."""
