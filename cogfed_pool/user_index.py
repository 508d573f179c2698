"""A pool's users, listed page by page into an SQLite file and grouped by person there.

`audit` and `repair` need every user of a person together, and a person's users can be
anywhere in ListUsers' order, so the users are listed once into this index rather than held
in memory (about 1 KB each: 10 GB for the 10 million users a pool may hold). Each ListUsers
page is committed with the PaginationToken that follows it, so an interrupted listing
resumes at the next page; the users are then read back one person at a time, ordered by the
email as the triggers compare it (ASCII case folded, CONTRACT §1), and each person's users in
the order ListUsers first gave them. What a command derives from them (the audit's findings)
is kept here too, so that nothing grows with the pool in memory.

The file holds users' attributes: it is created readable by its owner only (0600), as the
reports are (`private_files`), and SQLite gives its journal the same mode. It belongs to one
pool: opening it for another is refused.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from cogfed_pool.aws import Cognito, PoolCallError
from cogfed_pool.private_files import open_private_binary
from cogfed_pool.progress import Progress
from cogfed_pool.trigger_rules import FEDERATED_STATUS, PoolUser, ascii_case

FORMAT = "1"
PAGE_SIZE = 60  # ListUsers' maximum
BATCH = 500  # derived records written per statement
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # seq: the order ListUsers first gave the user in; person: the email as the triggers
    # compare it (empty without one); data: [username, status, enabled, attributes] as JSON.
    "CREATE TABLE IF NOT EXISTS users (seq INTEGER PRIMARY KEY, username TEXT NOT NULL "
    "UNIQUE, person BLOB NOT NULL, federated INTEGER NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS users_by_person ON users (person, seq)",
    "CREATE TABLE IF NOT EXISTS records (section INTEGER NOT NULL, position INTEGER NOT NULL, "
    "n INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (section, position, n)) WITHOUT ROWID",
)
# The listing's state, in `meta`: the token of the next page ("" for the first), the pages
# committed, whether the last page was read, and whether a command has used the whole listing.
STATE_KEYS = {"next_token": "", "pages": "0", "complete": "0", "used": "0", "finished": ""}


class UserIndexError(ValueError):
    pass


def person_key(email: str) -> bytes:
    """The email as the triggers compare it, as bytes that sort as Python sorts the text
    (UTF-8 keeps code point order; surrogatepass lets a lone surrogate through)."""
    return ascii_case.ascii_lower(email).encode("utf-8", "surrogatepass")


def _person(key: bytes) -> str:
    return key.decode("utf-8", "surrogatepass")


def _user(data: str) -> Any:
    username, status, enabled, attributes = json.loads(data)
    return PoolUser.from_api(
        {
            "Username": username,
            "UserStatus": status,
            "Enabled": enabled,
            "Attributes": [{"Name": k, "Value": v} for k, v in attributes.items()],
        }
    )


def _row(user: Any) -> tuple[str, bytes, int, str]:
    data = json.dumps([user.username, user.status, user.enabled, user.attributes])
    key = person_key(user.email) if user.email else b""
    return user.username, key, int(user.status == FEDERATED_STATUS), data


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class UserIndex:
    """The users of `pool_id`, in an SQLite database (a file, or a temporary one)."""

    def __init__(self, connection: sqlite3.Connection, pool_id: str, path: Path | None) -> None:
        self.connection = connection
        self.pool_id = pool_id
        self.path = path
        self.notes: list[str] = []

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: Path, pool_id: str, what: str = "--index") -> UserIndex:
        """The index at `path` (created when missing), refused when it is another pool's or
        not an index at all."""
        # Created, or tightened, to 0600 before SQLite opens it; a symbolic link is refused.
        os.close(open_private_binary(path, what))
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            index = cls(connection, pool_id, path)
            index._prepare(what)
        except sqlite3.DatabaseError as problem:
            connection.close()
            raise UserIndexError(
                f"{what} {path} is not a user index of cogfed-pool ({problem}): name another "
                "file, or delete this one"
            ) from problem
        except BaseException:
            connection.close()
            raise
        return index

    @classmethod
    def temporary(cls, pool_id: str) -> UserIndex:
        """An index on a private temporary file SQLite deletes when it is closed."""
        index = cls(sqlite3.connect("", isolation_level=None), pool_id, None)
        index._prepare("the temporary index")
        return index

    def _prepare(self, what: str) -> None:
        execute = self.connection.execute
        tables = {row[0] for row in execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "meta" not in tables:
            raise UserIndexError(
                f"{what} {self.path} is an SQLite file but not a user index of cogfed-pool: "
                "name another file, or delete this one"
            )
        # WAL with NORMAL sync: a commit per page without an fsync each; a crash loses at
        # most the last pages, which the next run reads again.
        execute("PRAGMA journal_mode = WAL")
        execute("PRAGMA synchronous = NORMAL")
        with self._transaction():
            for statement in SCHEMA:
                execute(statement)
            meta = self._meta()
            if not meta:
                rows = {"format": FORMAT, "pool_id": self.pool_id, **STATE_KEYS}
                execute("INSERT INTO meta VALUES " + ",".join("(?, ?)" for _ in rows), _flat(rows))
            elif meta.get("format") != FORMAT:
                raise UserIndexError(
                    f"{what} {self.path} was made by another version of cogfed-pool (format "
                    f"{meta.get('format')}, this one reads {FORMAT}): delete it to start afresh"
                )
            elif meta.get("pool_id") != self.pool_id:
                raise UserIndexError(
                    f"{what} {self.path} holds the users of pool {meta.get('pool_id')}, not "
                    f"{self.pool_id}: name another file for {self.pool_id}, or delete this one"
                )

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> UserIndex:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ state

    def _meta(self) -> dict[str, str]:
        return dict(self.connection.execute("SELECT key, value FROM meta").fetchall())

    def _set(self, **values: str) -> None:
        self.connection.executemany(
            "UPDATE meta SET value = ? WHERE key = ?", [(v, k) for k, v in values.items()]
        )

    @property
    def complete(self) -> bool:
        """Whether the last ListUsers page was read."""
        return self._meta()["complete"] == "1"

    @property
    def used(self) -> bool:
        """Whether a command finished with this listing (`mark_used`)."""
        return self._meta()["used"] == "1"

    def describe(self) -> str:
        meta = self._meta()
        state = (
            f"complete since {meta['finished']}"
            if meta["complete"] == "1"
            else f"{meta['pages']} pages read, not complete"
        )
        return f"{self.path}: {len(self)} users of {self.pool_id}, {state}"

    def mark_used(self) -> None:
        self._set(used="1")

    def start_over(self) -> None:
        """Forget the listing: the next `read_pool` reads the pool from its first page."""
        with self._transaction():
            self.connection.execute("DELETE FROM users")
            self.connection.execute("DELETE FROM records")
            self._set(**STATE_KEYS)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    # ------------------------------------------------------------------ listing

    def read_pool(
        self, cognito: Cognito, progress: Progress, say: Callable[[str], None] = _say
    ) -> None:
        """List every user (ListUsers, 60 a page) into the index, each page committed with
        the token that follows it, from where an earlier run stopped; nothing when the
        listing is complete."""
        meta = self._meta()
        progress.advance(len(self))
        if meta["complete"] == "1":
            progress.done()
            return
        token = meta["next_token"] or None
        pages = int(meta["pages"])
        resumed = token is not None
        if resumed:
            say(f"resuming the listing in {self.path} after page {pages} ({len(self)} users)")
        while True:
            params: dict[str, Any] = {"UserPoolId": cognito.pool_id, "Limit": PAGE_SIZE}
            if token is not None:
                params["PaginationToken"] = token
            try:
                answer = cognito.call("list_users", **params)
            except PoolCallError as problem:
                if not (resumed and problem.code == "InvalidParameterException"):
                    raise
                # AWS states no lifetime for a token; one that stopped working is answered
                # this way (docs/live-pools.md, "Cognito behaviour these commands rest on", 6).
                note = (
                    f"the pool refused the PaginationToken saved in {self.path} after page "
                    f"{pages} ({problem.message}): it may have expired, so the listing starts "
                    "again from the first page"
                )
                say(note)
                self.notes.append(note)
                self.start_over()
                progress.count = 0
                token, pages, resumed = None, 0, False
                continue
            resumed = False
            users = [PoolUser.from_api(data) for data in answer.get("Users", [])]
            token = answer.get("PaginationToken") or None
            pages += 1
            with self._transaction():
                self._insert(users)
                self._set(next_token=token or "", pages=str(pages))
                if token is None:
                    finished = datetime.now(UTC).isoformat(timespec="seconds")
                    self._set(complete="1", finished=finished)
            progress.advance(len(users))
            if token is None:
                break
        progress.done()

    def add(self, users: Iterable[Any]) -> None:
        """Users (PoolUser) from elsewhere than a listing, in this order."""
        with self._transaction():
            for batch in _batches(users):
                self._insert(batch)

    def _insert(self, users: list[Any]) -> None:
        # A pool that changes while it is listed may list a user twice: the later data wins,
        # the first place stays (as a dict keyed by username would keep them).
        self.connection.executemany(
            "INSERT INTO users (username, person, federated, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (username) DO UPDATE SET person = excluded.person, "
            "federated = excluded.federated, data = excluded.data",
            [_row(user) for user in users],
        )

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return int(self.connection.execute("SELECT COUNT(*) FROM users").fetchone()[0])

    def __iter__(self) -> Iterator[Any]:
        """Every user, in the order ListUsers first gave them."""
        for (data,) in self.connection.execute("SELECT data FROM users ORDER BY seq"):
            yield _user(data)

    def people(self) -> Iterator[tuple[str, list[tuple[int, Any]]]]:
        """(email as the triggers compare it, [(place, user)]) for every person, ordered by
        that email; a person's users in listing order, `place` saying where each came."""
        rows = self.connection.execute(
            "SELECT person, seq, data FROM users WHERE person != x'' ORDER BY person, seq"
        )
        for key, group in itertools.groupby(rows, key=lambda row: row[0]):
            yield _person(key), [(seq, _user(data)) for _, seq, data in group]

    def without_email(self) -> Iterator[tuple[int, Any]]:
        """(place, user) for every user without an email, one at a time: a pool that signs in
        by phone number may hold millions."""
        for seq, data in self.connection.execute(
            "SELECT seq, data FROM users WHERE person = x'' ORDER BY seq"
        ):
            yield seq, _user(data)

    def split_people(self) -> Iterator[tuple[str, str]]:
        """(email as the triggers compare it, the email as its first user holds it) for every
        person with both native and federated users, ordered by the first."""
        rows = self.connection.execute(
            # SQLite takes the bare column `data` from the row MIN(seq) picked.
            "SELECT person, MIN(seq), data FROM users WHERE person != x'' GROUP BY person "
            "HAVING SUM(federated) > 0 AND SUM(1 - federated) > 0 ORDER BY person"
        )
        for key, _, data in rows:
            yield _person(key), _user(data).email

    def count_split_people(self) -> int:
        return int(
            self.connection.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE person != x'' GROUP BY person "
                "HAVING SUM(federated) > 0 AND SUM(1 - federated) > 0)"
            ).fetchone()[0]
        )

    # ------------------------------------------------------------------ derived records

    def write_records(self, records: Iterable[tuple[int, int, int, str]]) -> None:
        """Replace the derived records with these (section, position, n, JSON text), read
        back ordered by the first three."""
        with self._transaction():
            self.connection.execute("DELETE FROM records")
            for batch in _batches(records):
                self.connection.executemany("INSERT INTO records VALUES (?, ?, ?, ?)", batch)

    def records(self) -> Iterator[str]:
        cursor = self.connection.execute("SELECT data FROM records ORDER BY section, position, n")
        for (data,) in cursor:
            yield data

    def count_records(self) -> int:
        return int(self.connection.execute("SELECT COUNT(*) FROM records").fetchone()[0])


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield batch


def _flat(rows: dict[str, str]) -> list[str]:
    return [item for pair in rows.items() for item in pair]
