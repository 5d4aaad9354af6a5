"""The workshop environment's building blocks: one ComponentResource per concept, pulumi-aws inside."""
