"""Domain errors, shared by every domain package.

    DomainError                 code "domain"        (base; never raised itself)
    ├── InvalidInput            code "invalid_input" (a value breaks a rule)
    │   ├── TextTooShort        code "text_too_short"
    │   ├── TextTooLong         code "text_too_long"
    │   └── ControlCharacters   code "control_characters"
    ├── NotFound                code "not_found"
    ├── Forbidden               code "forbidden"      (the role or ownership does not allow it)
    └── Conflict                code "conflict"       (the state does not allow it now)

Each class carries its stable ``code``; the message is for people and may change.
The gateway turns any of them into ``{"ok": false, "error": {"code", "message"}}``.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"


class TextTooShort(InvalidInput):
    code = "text_too_short"


class TextTooLong(InvalidInput):
    code = "text_too_long"


class ControlCharacters(InvalidInput):
    code = "control_characters"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"
