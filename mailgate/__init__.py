"""mailgate: an email-first ticketing daemon."""

__version__ = "0.1.0"
