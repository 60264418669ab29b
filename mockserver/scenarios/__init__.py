"""The scenario-override stage: ``Prefer`` headers and stored scenarios pick a forced answer."""
