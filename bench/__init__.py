"""Benchmarks: what a sign-in costs, and how fast the policy gate is.

Run with `make bench` or `python -m bench` from the repository root. Everything runs
offline: sign-ins play against the Cognito test double (`cogfed_tools.cognito_double`), the pool
and identity providers are those Terraform plans for `examples/complete`, and the gate is
timed on synthetic trees of copies of that example. One table is printed and the same
figures are written to `bench/results/latest.json`. See bench/README.md.
"""
