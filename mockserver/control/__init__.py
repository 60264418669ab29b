"""The control plane under ``/__mockserver`` (docs/ARCHITECTURE.md, "Control plane")."""
