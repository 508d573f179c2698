"""The Cognito federation policy gate: `cogfed-gate`, on Terraform's plan or on the source.

This package, with the checks it ships (``cogfed_gate.policies``, the repository's
``policies/``), is what other teams install. Development tooling lives in ``cogfed_tools``,
which is not installed.
"""
