"""Errors that services raise; the API and the pages each turn them into their own answer."""


class ApplicationError(Exception):
    """A domain error raised by a service, shown to the caller as a 400.

    ``errors`` maps a field (or ``line N``) to the list of what is wrong with it.
    """

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
