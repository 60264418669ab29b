"""Schema-driven, seeded value generation for operations without a vendor behaviour."""
