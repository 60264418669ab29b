"""The scenario-override stage: ``Prefer`` headers and stored scenarios pick a forced answer.

``overrides`` is the vocabulary (Preference, Scenario, Fault), ``prefer`` parses the header,
``responder`` builds the forced answers of one operation.
"""
