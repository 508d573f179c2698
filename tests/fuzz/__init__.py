"""A property-based fuzzer over the Cognito double: sign-in sequences checked step by step.

- `world`: the people, the mailboxes each owns, the identity providers and their trust.
- `oracle`: the invariants, checked after every step (and where the model abstains).
- `machine`: the hypothesis state machine that plays the steps against the real triggers,
  one fresh pool per example, and counts what it covered.
- `findings`: the shrunk sequences that caught the takeover paths of issue 11 before the
  fix, replayed by `test_fuzz` so that they stay fixed.
- `test_fuzz`: the small deterministic profile `make test` runs.
- `__main__`: `make fuzz` (`python -m tests.fuzz`), the large profile: at least 20,000
  trigger events by default, then a report of the categories covered; exit 1 with the
  minimal failing sequence on a violation. `--seed`, `--events`, `--without SURFACES`
  (leave attack surfaces out to isolate one finding from another), `--strict-stale`.

`FUZZ_LAMBDA_SRC=/path/to/lambda_src python -m tests.fuzz` fuzzes another copy of the
triggers (e.g. an older commit's, exported with `git archive`).
"""
