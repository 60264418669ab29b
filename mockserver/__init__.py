"""mockserver: contract-faithful mocks of the ActionHub and SendGrid segments APIs."""

__version__ = "0.1.0"
