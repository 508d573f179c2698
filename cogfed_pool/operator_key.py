"""The operator's key: what signs repair plans and journals, and where run state is kept.

A plan and its journal steer deletions and links, so what they say must come from this tool,
run by the operator. They are signed with a key only the operator holds, never with one
derived from the deployment's `LINKING_SECRET`: that secret sits in the pre sign-up function's
environment, which every role allowed `lambda:GetFunctionConfiguration` reads (the audit
itself, ReadOnlyAccess, Terraform state readers).

The key is a file (`--key-file`, default `$XDG_CONFIG_HOME/cogfed-pool/key`, else
`~/.config/cogfed-pool/key`), made with 32 random bytes, mode 0600, on first use. A key file
that another user owns or may read, or a symbolic link, is refused: whoever can read it can
sign a plan. Its directory also holds, per pool, the lock that keeps two runs on one pool
apart, and per journal, how far this machine's runs wrote it (so a journal cut back to an
earlier state is noticed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cogfed_pool.private_files import PrivateFileError, check_ours

KEY_BYTES = 32
PLAN_PURPOSE = b"cogfed-pool plan"
JOURNAL_PURPOSE = b"cogfed-pool journal"
SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


class OperatorKeyError(ValueError):
    """The key file is missing, unsafe or unreadable (the message says how to fix it)."""


def default_key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cogfed-pool" / "key"


@dataclass(frozen=True)
class OperatorKey:
    path: Path
    secret: bytes

    def derived(self, purpose: bytes) -> bytes:
        return hmac.new(self.secret, purpose, hashlib.sha256).digest()

    @property
    def journal_key(self) -> bytes:
        return self.derived(JOURNAL_PURPOSE)

    @property
    def directory(self) -> Path:
        return self.path.parent

    def pool_lock_path(self, pool_id: str) -> Path:
        return self.directory / f"pool-{_safe(pool_id)}.lock"

    def journal_state_path(self, nonce: str) -> Path:
        return self.directory / f"journal-{_safe(nonce)}.state"

    def sign_plan(self, plan: dict[str, Any]) -> str:
        return hmac.new(self.derived(PLAN_PURPOSE), _canonical(plan), hashlib.sha256).hexdigest()


def _safe(name: str) -> str:
    """A file name part: the name itself when plain, else its hash (a pool ID is input)."""
    if SAFE_NAME.fullmatch(name):
        return name
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _canonical(plan: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in plan.items() if k != "mac"}
    return json.dumps(unsigned, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


def load_key(given: Path | None, *, create: bool) -> OperatorKey:
    """The operator key at `given` (or the default path); with `create`, a missing default key
    is made."""
    path = given if given is not None else default_key_path()
    what = "--key-file" if given is not None else "the operator key"
    if create and given is None and not path.exists() and not path.is_symlink():
        _create(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as problem:
        if path.is_symlink():
            raise OperatorKeyError(
                f"{what} {path} is a symbolic link: name the file itself"
            ) from None
        if isinstance(problem, FileNotFoundError):
            raise OperatorKeyError(
                f"{what} {path} does not exist: a plan is signed with the key of whoever ran "
                "`cogfed-pool repair --out`; copy that key file here (mode 0600) or give it "
                "with --key-file"
            ) from None
        raise OperatorKeyError(f"{what} {path}: {problem.strerror}") from None
    try:
        status = os.fstat(descriptor)
        try:
            check_ours(status, path, what)
        except PrivateFileError as problem:
            raise OperatorKeyError(str(problem)) from None
        if status.st_mode & 0o077:
            raise OperatorKeyError(
                f"{what} {path} may be read or written by others (mode "
                f"{oct(status.st_mode & 0o777)}): `chmod 600 {path}`, then make a new plan "
                "(anyone who read it could have signed one)"
            )
        secret = os.read(descriptor, 4096)
    finally:
        os.close(descriptor)
    secret = secret.strip()
    if len(secret) < KEY_BYTES:
        raise OperatorKeyError(
            f"{what} {path} holds {len(secret)} bytes, fewer than {KEY_BYTES}: remove it to "
            "have a new one made, or give a longer one"
        )
    return OperatorKey(path, secret)


def _create(path: Path) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
    except FileExistsError:
        return  # another run made it first: read that one
    except OSError as problem:
        raise OperatorKeyError(
            f"the operator key {path} could not be made: {problem.strerror}"
        ) from None
    try:
        # Hex: a key that fits a CI secret store's text field as it is.
        os.write(descriptor, secrets.token_hex(KEY_BYTES).encode("ascii") + b"\n")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify_plan(plan: dict[str, Any], key: OperatorKey, source: str) -> None:
    """ValueError unless `plan` carries this key's signature over exactly its content."""
    given = plan.get("mac")
    if not isinstance(given, str) or not hmac.compare_digest(given, key.sign_plan(plan)):
        why = "it is not signed" if given is None else "its signature does not match"
        raise OperatorKeyError(
            f"{source}: the plan changed since repair wrote it ({why} under the key "
            f"{key.path}): run `cogfed-pool repair` again (with the same --key-file as this "
            "run). To leave people out, make the plan again without them (--from-audit an "
            "audit JSON of only those you want)"
        )


def check_subjects(plan: dict[str, Any], subjects: Path | None, source: str) -> None:
    """The `--subjects` file at apply must be the very file the plan was made with."""
    signed = plan.get("subjects_sha256")
    if signed is None:
        if subjects is not None:
            raise OperatorKeyError(
                f"{source} was made without --subjects: apply it without one, or make the "
                "plan again with it"
            )
        return
    if subjects is None:
        raise OperatorKeyError(
            f"{source} was made with a --subjects file: give that same file with --subjects"
        )
    try:
        found = file_sha256(subjects)
    except OSError as problem:
        raise OperatorKeyError(f"--subjects {subjects}: {problem.strerror}") from None
    if not hmac.compare_digest(str(signed), found):
        raise OperatorKeyError(
            f"--subjects {subjects} is not the file the plan was made with (SHA-256 {found}, "
            f"the plan's {signed}): give that file, or make the plan again"
        )


def distinct_files(paths: dict[str, Path]) -> None:
    """ValueError unless no two of these name one file (by path, or by device and inode: a
    hard link or another spelling of the same file)."""
    seen: dict[object, str] = {}
    for what, path in paths.items():
        keys: list[object] = [str(path.resolve())]
        try:
            status = os.stat(path)
            keys.append((status.st_dev, status.st_ino))
        except OSError:
            pass
        for key in keys:
            earlier = seen.setdefault(key, what)
            if earlier != what:
                raise OperatorKeyError(
                    f"{what} {path} is the same file as {earlier}: each must be a file of its "
                    "own (writing one would destroy the other); name another path"
                )


def signed_plan_text(text: str, key: OperatorKey, subjects: Path | None) -> str:
    """A plan (repair's JSON) with the `--subjects` file's SHA-256 and the key's signature."""
    plan = json.loads(text)
    plan["subjects_sha256"] = file_sha256(subjects) if subjects is not None else None
    plan["mac"] = key.sign_plan(plan)
    return json.dumps(plan, indent=2, ensure_ascii=False) + "\n"
