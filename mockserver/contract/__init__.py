"""``mockserver contract``, imported by that subcommand only: ``serve`` never loads Schemathesis."""
