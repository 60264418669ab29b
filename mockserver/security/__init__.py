"""Security: find the credential an operation's security requirements ask for."""

from mockserver.security.credentials import find_credential

__all__ = ["find_credential"]
