"""The one error of the parity commands."""


class ParityError(Exception):
    """Bad input or an unusable target: the command prints the message on one line."""
