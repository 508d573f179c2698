"""A property-based fuzzer over the Cognito double: sign-in sequences checked step by step.

- `world`: the people, the mailboxes each owns, the identity providers and their trust
  (Google consumer and Workspace accounts, Entra's `xms_edov`).
- `oracle`: the invariants, checked after every step (and where the model abstains); among
  them, that no account holds or gets tokens saying a verified address of another person,
  and that no identity lands in another person's account.
- `machine`: the hypothesis state machine that plays the steps against the real triggers,
  one fresh pool per example (holding a user's own email changes back or not), and counts
  what it covered: federated sign-ins, password sign-ins, refreshes, and a signed-in user's
  own attribute changes and verifications (FACTS §8, §20).
- `findings`: the shrunk sequences that caught takeover paths before their fixes, replayed
  by `test_fuzz` so that they stay fixed.
- `test_fuzz`: the small deterministic profile `make test` runs.
- `__main__`: `make fuzz` (`python -m tests.fuzz`), the large profile: at least 20,000
  trigger events by default, then a report of the categories covered; exit 1 with the
  minimal failing sequence on a violation. `--seed`, `--events`, `--without SURFACES`
  (leave attack surfaces out to isolate one finding from another), `--strict-stale`.

`FUZZ_LAMBDA_SRC=/path/to/lambda_src python -m tests.fuzz` fuzzes another copy of the
triggers (e.g. an older commit's, exported with `git archive`).
"""
