"""The scenario-override stage: ``Prefer`` headers and stored scenarios pick a forced answer.

``prefer`` parses the header (the vocabulary, Preference, Scenario, Fault, is ``state.values``),
``responder`` builds the forced answers of one operation.
"""
