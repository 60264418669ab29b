"""Schema-driven, seeded value generation for operations without a vendor behaviour."""

from mockserver.generate.schema_faker import SchemaFaker, seed_for

__all__ = ["SchemaFaker", "seed_for"]
