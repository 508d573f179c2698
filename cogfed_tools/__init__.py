"""Development and CI tooling: the terraform command, offline checks, the policy gate."""
