"""Domain errors raised by services; views turn them into a message and a status code."""


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class DeadlinePassed(DomainError):
    status_code = 409


class Invalid(DomainError):
    """Bad input. ``fields`` maps form field names to the message to show next to each."""

    status_code = 422

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class Conflict(DomainError):
    status_code = 409


class TooManyAttempts(DomainError):
    status_code = 429
