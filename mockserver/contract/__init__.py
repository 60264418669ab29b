"""``mockserver contract``: check a deployment (or the bundled mock) against the bundled specs.

Imported only by the ``contract`` subcommand: the serve path never loads Schemathesis.
"""
