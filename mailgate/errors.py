"""The one exception tree of mailgate.

```
MailgateError
├── ConfigError(problems)         every (key.path, message) found, not just the first
├── UserError                     unknown ticket, bad argument: one line for the CLI
├── TemporaryError
│   ├── StoreUnavailable          database unreachable or locked past its timeout
│   └── DeliveryTemporaryError    smarthost 4xx, network
└── DeliveryPermanentError        smarthost 5xx
```

Errors become outcomes in four places only: the SMTP handler, the processor,
the sender and the CLI. Domain decisions are values, not exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence


class MailgateError(Exception):
    """Base of every error mailgate raises on purpose."""


class ConfigError(MailgateError):
    """The configuration or a template is wrong; `problems` lists every finding."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        super().__init__("; ".join(f"{key}: {message}" for key, message in self.problems))


class UserError(MailgateError):
    """A request that cannot be met as asked; the message is one line for the CLI."""


class TemporaryError(MailgateError):
    """Something outside mailgate is down for now; the same request may work later."""


class StoreUnavailable(TemporaryError):  # noqa: N818  (named for the condition, as STYLE.md says)
    """The database is unreachable or locked past its timeout."""


class DeliveryTemporaryError(TemporaryError):
    """The smarthost answered 4xx, or the network failed."""


class DeliveryPermanentError(MailgateError):
    """The smarthost answered 5xx: this mail will never be accepted as it is."""
