"""Security: find the credential an operation's security requirements ask for."""
