"""The route stage: the spec's paths to their endpoints, and which API owns any other path."""
