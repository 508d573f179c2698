"""The triggers in a second, independent Cognito (ministack) beside the project's double.

`make conformance` (`python -m cogfed_tools.conformance`) runs `run.main`.
"""
