"""The Ray engine (placeholder until written)."""
