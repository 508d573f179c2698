"""Development tooling, not installed: the terraform command, offline checks and plans, docs."""
