"""Authentication: who is calling, and what they may do."""
