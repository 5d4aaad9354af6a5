"""Stack configuration and its translation into component arguments."""
