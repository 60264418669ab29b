"""The control plane under ``/__mockserver`` (docs/ARCHITECTURE.md, "Control plane")."""

#: Where the control plane lives, in the mock's app and in the proxy's.
PREFIX = "/__mockserver"
