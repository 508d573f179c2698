"""Prove the module's minimum hashicorp/aws provider version from provider schemas.

Why: `versions.tf` states a lower bound for hashicorp/aws. Read from changelogs, such a
bound is second-hand and easy to get wrong (an entry filed under the wrong release, an
argument added in one release and its nested block in another). The schema itself is
first-hand: every release of the PyPI package `cdktf-cdktf-provider-aws` is generated
from exactly one terraform-provider-aws release (its README, `# CDKTF prebuilt bindings
for hashicorp/aws provider version X`, the version in every docs link of its jsii
assembly, and `providerVersion` in its generated `lib/provider/index.js` all name it),
and its jsii assembly (`cdktf_cdktf_provider_aws/_jsii/*.jsii.tgz`, member
`package/.jsii`) lists every resource's config interface with each argument and nested
block; each property's docs link ends in `#<terraform argument name>`.

This tool
1. reads the resource blocks of the module (`*.tf` at the repository root and under
   `modules/`) and derives every argument and nested block path it sets, per resource type;
2. bisects, per path, over the package's releases ordered by version (which is checked to
   order the provider versions too), downloading wheels with `pip download --no-deps` into
   `.cache/provider-minimums/` and reading one assembly at a time;
3. writes `docs/provider-minimums.md`: per path, the first provider version whose schema
   has it, the last one without it (the bisect bracket) and the package releases used as
   evidence, and the resulting minimum (the maximum over paths).

What a schema cannot show: the values an argument accepts (Lambda runtimes, enum values)
are validations inside the provider binary, not schema. Those rows are listed in the
table from the provider changelog, marked as such, and do not enter the proven minimum.

Usage (standard library only; pip is the venv's own):
    python -m cogfed_tools.provider_minimums            # derive and write the table
    python -m cogfed_tools.provider_minimums --check    # re-derive, compare, exit 1 on diff
    python -m cogfed_tools.provider_minimums --prune    # keep only the newest wheel
"""

from __future__ import annotations

import argparse
import gc
import gzip
import itertools
import json
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / ".cache" / "provider-minimums"
TABLE_PATH = REPO_ROOT / "docs" / "provider-minimums.md"
PACKAGE = "cdktf-cdktf-provider-aws"
ASSEMBLY_PREFIX = "@cdktf/provider-aws."
TYPE_PREFIX = "aws_"

# The last release generated from a 4.x provider (4.67.0): every bracket then starts
# inside 4.x, so an argument present here is older than every 5.x release.
DEFAULT_FIRST_RELEASE = "15.0.0"

META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "provider"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})

Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    return tuple(int(part) for part in text.split("."))


def format_version(version: Version) -> str:
    return ".".join(str(part) for part in version)


# --------------------------------------------------------------------------------------
# What the module relies on: a small reader of the HCL native syntax (terraform fmt'd).
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Feature:
    """One argument or nested block of one resource type, e.g.
    aws_cognito_user_pool / (lambda_config, pre_token_generation_config, lambda_arn)."""

    resource_type: str
    path: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.resource_type}.{'.'.join(self.path)}"

    @classmethod
    def from_label(cls, label: str) -> Feature:
        resource_type, _, rest = label.partition(".")
        return cls(resource_type, tuple(rest.split(".")))


@dataclass
class Block:
    type: str
    labels: list[str]
    attributes: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


class HclReader:
    """Splits HCL into blocks and attribute names; expressions are skipped, not parsed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def _skip_space(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            elif char == "#" or (char == "/" and self._peek(1) == "/"):
                while self.pos < len(self.text) and self.text[self.pos] != "\n":
                    self.pos += 1
            elif char == "/" and self._peek(1) == "*":
                end = self.text.find("*/", self.pos + 2)
                self.pos = len(self.text) if end < 0 else end + 2
            else:
                return

    def _identifier(self) -> str:
        match = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*").match(self.text, self.pos)
        if not match:
            raise ValueError(
                f"identifier expected at offset {self.pos}: {self.text[self.pos : self.pos + 40]!r}"
            )
        self.pos = match.end()
        return match.group()

    def _skip_string(self) -> str:
        """Skip a quoted template starting at '"'; return its text (interpolations kept)."""
        start = self.pos
        self.pos += 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 2
            elif char == '"':
                self.pos += 1
                return self.text[start + 1 : self.pos - 1]
            elif char in "$%" and self._peek(1) == "{":
                if self._peek(-1) == char:  # $${ and %%{ are literal
                    self.pos += 2
                    continue
                self.pos += 2
                self._skip_nested("}")
            else:
                self.pos += 1
        raise ValueError("unterminated string")

    def _skip_heredoc(self) -> None:
        match = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\n").match(self.text, self.pos)
        if not match:
            raise ValueError(f"bad heredoc at offset {self.pos}")
        marker = match.group(1)
        self.pos = match.end()
        while self.pos < len(self.text):
            end = self.text.find("\n", self.pos)
            line = self.text[self.pos : len(self.text) if end < 0 else end]
            self.pos = len(self.text) if end < 0 else end + 1
            if line.strip() == marker:
                return
        raise ValueError("unterminated heredoc")

    def _skip_nested(self, closer: str) -> None:
        """Skip an expression up to and including `closer`, across lines."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        while self.pos < len(self.text):
            self._skip_space(newlines=True)
            char = self._peek()
            if char == closer:
                self.pos += 1
                return
            if char == '"':
                self._skip_string()
            elif char == "<" and self._peek(1) == "<":
                self._skip_heredoc()
            elif char in pairs:
                self.pos += 1
                self._skip_nested(pairs[char])
            else:
                self.pos += 1
        raise ValueError(f"missing {closer!r}")

    def _skip_expression(self) -> None:
        """Skip an attribute's expression: up to a newline outside brackets."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        while self.pos < len(self.text):
            self._skip_space(newlines=False)
            char = self._peek()
            if char in ("\n", "}", ""):
                return
            if char == '"':
                self._skip_string()
            elif char == "<" and self._peek(1) == "<":
                self._skip_heredoc()
                return
            elif char in pairs:
                self.pos += 1
                self._skip_nested(pairs[char])
            else:
                self.pos += 1

    def body(self) -> Block:
        root = Block("", [])
        self._body_into(root, top=True)
        return root

    def _body_into(self, block: Block, top: bool) -> None:
        while True:
            self._skip_space(newlines=True)
            char = self._peek()
            if char == "":
                if top:
                    return
                raise ValueError("unexpected end of file inside a block")
            if char == "}":
                if top:
                    raise ValueError(f"unbalanced '}}' at offset {self.pos}")
                self.pos += 1
                return
            name = self._identifier()
            self._skip_space(newlines=False)
            if self._peek() == "=" and self._peek(1) != "=":
                self.pos += 1
                self._skip_expression()
                block.attributes.append(name)
                continue
            labels: list[str] = []
            while self._peek() != "{":
                if self._peek() == '"':
                    labels.append(self._skip_string())
                else:
                    labels.append(self._identifier())
                self._skip_space(newlines=False)
            self.pos += 1
            child = Block(name, labels)
            self._body_into(child, top=False)
            block.blocks.append(child)


def module_tf_files(root: Path = REPO_ROOT) -> list[Path]:
    """The module's own configuration: root *.tf and modules/**/*.tf (not examples, tests)."""
    return sorted(root.glob("*.tf")) + sorted((root / "modules").rglob("*.tf"))


def _paths_in(block: Block, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for name in block.attributes:
        if not (prefix == () and name in META_ARGUMENTS):
            yield (*prefix, name)
    for child in block.blocks:
        if prefix == () and child.type in META_BLOCKS:
            continue
        if child.type == "dynamic":
            name = child.labels[0]
            contents = [b for b in child.blocks if b.type == "content"]
            yield (*prefix, name)
            for content in contents:
                yield from _paths_in(content, (*prefix, name))
        else:
            yield (*prefix, child.type)
            yield from _paths_in(child, (*prefix, child.type))


def relied_on_features(root: Path = REPO_ROOT) -> dict[Feature, list[str]]:
    """Every aws_* resource argument and nested block the module sets -> files setting it."""
    found: dict[Feature, list[str]] = {}
    for path in module_tf_files(root):
        document = HclReader(path.read_text(encoding="utf-8")).body()
        for block in document.blocks:
            if block.type != "resource" or not block.labels[0].startswith(TYPE_PREFIX):
                continue
            for feature_path in _paths_in(block, ()):
                feature = Feature(block.labels[0], feature_path)
                where = str(path.relative_to(root))
                found.setdefault(feature, [])
                if where not in found[feature]:
                    found[feature].append(where)
    return dict(sorted(found.items()))


# --------------------------------------------------------------------------------------
# Argument values: validations, not schema. Evidence is the provider changelog.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueRequirement:
    argument: str
    value: str
    first_version: str
    evidence: str
    required_by_default: bool


# Filled from terraform-provider-aws CHANGELOG.md (see the table's notes); the runtime is a
# validated value (enum of the AWS SDK for Go), which no schema, and so no assembly, lists.
VALUE_REQUIREMENTS: tuple[ValueRequirement, ...] = (
    ValueRequirement(
        "aws_lambda_function.runtime",
        "python3.11",
        "after 5.10 (first accepting release not verified)",
        "hashicorp/terraform-provider-aws#32817: 5.10 rejects it",
        required_by_default=False,
    ),
    ValueRequirement(
        "aws_lambda_function.runtime",
        "python3.12",
        "5.31.0 or earlier",
        "#34944: 5.31.0 vendors aws-sdk-go-v2 service/lambda v1.49.5, whose Runtime enum has it",
        required_by_default=False,
    ),
    ValueRequirement(
        "aws_lambda_function.runtime",
        "python3.13",
        "after 5.75.1 (first accepting release not verified)",
        "#40107: 5.75.1 rejects it; #40137 asked for it on 2024-11-14",
        required_by_default=True,
    ),
    ValueRequirement(
        "aws_lambda_function.runtime",
        "python3.14",
        "6.x only: 6.20.0 accepts it",
        "#44984: aws-sdk-go-v2 release-2025-10-31 added it, 6.20.0 accepts it; the last 5.x "
        "release (5.100.0, package 20.1.0) predates that SDK release",
        required_by_default=False,
    ),
)


# --------------------------------------------------------------------------------------
# Releases, wheels and assemblies.
# --------------------------------------------------------------------------------------


def pip(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def list_releases() -> list[Version]:
    """All releases the package index offers, oldest first."""
    output = pip("index", "versions", PACKAGE)
    match = re.search(r"Available versions:\s*(.+)", output)
    if not match:
        raise RuntimeError(f"cannot read the releases of {PACKAGE}:\n{output}")
    versions = []
    for text in match.group(1).split(","):
        text = text.strip()
        if re.fullmatch(r"\d+(\.\d+)*", text):
            versions.append(parse_version(text))
    return sorted(versions)


def _ensure_cache() -> None:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    ignore = CACHE_DIR.parent / ".gitignore"
    if not ignore.exists():  # the cache is never committed
        ignore.write_text("*\n", encoding="utf-8")


def wheel_path(release: Version) -> Path:
    return CACHE_DIR / f"cdktf_cdktf_provider_aws-{format_version(release)}-py3-none-any.whl"


def download(release: Version) -> Path:
    _ensure_cache()
    path = wheel_path(release)
    if not path.exists():
        pip(
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(CACHE_DIR),
            f"{PACKAGE}=={format_version(release)}",
        )
        if not path.exists():
            raise RuntimeError(f"pip download did not produce {path.name}")
    return path


LINK = re.compile(r"\{@link (\S+?)#([A-Za-z0-9_]+) [A-Za-z0-9_]+#\2\}")
CLASS_LINK = re.compile(r"\{@link (\S+) (aws_[a-z0-9_]+)\}")
DOCS_VERSION = re.compile(r"/providers/hashicorp/aws/(\d+\.\d+\.\d+)/docs")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _fqns(type_ref: Any) -> Iterator[str]:
    if isinstance(type_ref, dict):
        if "fqn" in type_ref:
            yield type_ref["fqn"]
        for value in type_ref.values():
            yield from _fqns(value)
    elif isinstance(type_ref, list):
        for value in type_ref:
            yield from _fqns(value)


def _argument_name(prop: dict[str, Any]) -> str:
    docs = prop.get("docs", {})
    for text in (docs.get("summary", ""), docs.get("remarks", "")):
        match = LINK.search(text)
        if match:
            return match.group(2)
    return _snake(prop["name"])


def _arguments(types: dict[str, Any], fqn: str) -> dict[str, str | None]:
    """Terraform argument name -> the nested block's struct fqn (None for a plain argument)."""
    found: dict[str, str | None] = {}
    seen: set[str] = set()
    pending = [fqn]
    while pending:  # the interface and the interfaces it extends within this assembly
        current = pending.pop()
        if current in seen or current not in types:
            continue
        seen.add(current)
        spec = types[current]
        pending.extend(i for i in spec.get("interfaces", []) if i.startswith(ASSEMBLY_PREFIX))
        for prop in spec.get("properties", []):
            nested = [f for f in _fqns(prop.get("type")) if f.startswith(ASSEMBLY_PREFIX)]
            found[_argument_name(prop)] = nested[0] if nested else None
    return found


@dataclass(frozen=True)
class ReleaseSchema:
    release: Version
    provider_version: Version
    version_witnesses: tuple[str, ...]
    present: frozenset[Feature]


def _open_assembly(archive: IO[bytes]) -> Iterator[tuple[str, IO[bytes]]]:
    with tarfile.open(fileobj=archive, mode="r|gz") as tar:
        for member in tar:
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                yield member.name, handle


def read_release(release: Version, features: Iterable[Feature]) -> ReleaseSchema:
    """Read one wheel's assembly (streamed) and report which features its schema has."""
    features = list(features)
    path = download(release)
    witnesses: dict[str, str] = {}
    present: set[Feature] = set()
    with zipfile.ZipFile(path) as wheel:
        metadata_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(metadata_name).decode("utf-8", "replace")
        match = re.search(r"hashicorp/aws provider version (\d+\.\d+\.\d+)", metadata)
        if match:
            witnesses["package README"] = match.group(1)
        tgz_name = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
        with wheel.open(tgz_name) as archive:
            redirect: str | None = None
            for name, handle in _open_assembly(archive):
                if name in ("package/.jsii", f"package/{redirect}"):
                    raw = handle.read()
                    if name.endswith(".gz"):
                        raw = gzip.decompress(raw)
                    assembly = json.loads(raw)
                    del raw
                    if assembly.get("schema") == "jsii/file-redirect":
                        redirect = assembly["filename"]
                        continue
                    versions = _assembly_versions(assembly)
                    if len(versions) != 1:
                        raise RuntimeError(f"{path.name}: docs links name {sorted(versions)}")
                    witnesses["assembly docs links"] = versions.pop()
                    present = _present(assembly["types"], features)
                    del assembly
                    gc.collect()
                elif name == "package/lib/provider/index.js":
                    js = handle.read().decode("utf-8", "replace")
                    match = re.search(r"providerVersion: '(\d+\.\d+\.\d+)'", js)
                    if match:
                        witnesses["lib/provider/index.js"] = match.group(1)
    if "assembly docs links" not in witnesses:
        raise RuntimeError(f"{path.name}: no assembly read")
    if len(set(witnesses.values())) != 1:
        raise RuntimeError(f"{path.name}: the provider version witnesses disagree: {witnesses}")
    version = next(iter(witnesses.values()))
    return ReleaseSchema(
        release, parse_version(version), tuple(sorted(witnesses)), frozenset(present)
    )


def _assembly_versions(assembly: dict[str, Any]) -> set[str]:
    versions: set[str] = set()
    for spec in assembly["types"].values():
        match = DOCS_VERSION.search(spec.get("docs", {}).get("summary", ""))
        if match:
            versions.add(match.group(1))
    return versions


def _present(types: dict[str, Any], features: list[Feature]) -> set[Feature]:
    configs: dict[str, str] = {}
    for spec in types.values():
        if spec.get("kind") != "class":
            continue
        match = CLASS_LINK.search(spec.get("docs", {}).get("summary", ""))
        if not match or "/data-sources/" in match.group(1) or "/d/" in match.group(1):
            continue
        for parameter in spec.get("initializer", {}).get("parameters", []):
            if parameter.get("name") == "config":
                configs[match.group(2)] = parameter["type"]["fqn"]
    present: set[Feature] = set()
    for feature in features:
        fqn: str | None = configs.get(feature.resource_type)
        for step in feature.path:
            arguments = _arguments(types, fqn) if fqn else {}
            if step not in arguments:
                fqn = None
                break
            fqn = arguments[step] or ""
        else:
            present.add(feature)
    return present


# --------------------------------------------------------------------------------------
# The bisect.
# --------------------------------------------------------------------------------------


@dataclass
class Finding:
    feature: Feature
    first_with: ReleaseSchema | None  # None: absent from the newest release
    last_without: ReleaseSchema | None  # None: present in the first release examined


@dataclass
class Derivation:
    releases: list[Version]
    examined: dict[Version, ReleaseSchema]
    findings: list[Finding]
    problems: list[str]
    seconds: float
    peak_cache_bytes: int


def derive(
    features: Sequence[Feature],
    releases: Sequence[Version],
    log: Any = print,
) -> Derivation:
    started = time.monotonic()
    releases = list(releases)
    examined: dict[Version, ReleaseSchema] = {}
    peak = 0

    def examine(index: int) -> ReleaseSchema:
        nonlocal peak
        release = releases[index]
        if release not in examined:
            schema = read_release(release, features)
            examined[release] = schema
            peak = max(peak, sum(p.stat().st_size for p in CACHE_DIR.glob("*.whl")))
            provider = format_version(schema.provider_version)
            log(
                f"  {PACKAGE} {format_version(release)} <- aws {provider}"
                f" ({len(schema.present)}/{len(features)} present)"
            )
        return examined[release]

    findings: list[Finding] = []
    first, last = 0, len(releases) - 1
    examine(first)
    examine(last)
    for feature in features:
        if feature not in examine(last).present:
            findings.append(Finding(feature, None, examine(last)))
            continue
        if feature in examine(first).present:
            findings.append(Finding(feature, examine(first), None))
            continue
        low, high = first, last  # absent at low, present at high
        for index, release in enumerate(releases):  # narrow with releases already read
            if release in examined and low < index < high and feature in examined[release].present:
                high = index
        for index, release in enumerate(releases):
            if release in examined and low < index < high:
                low = index  # below the first known "present", hence absent if monotonic
        while high - low > 1:
            middle = (low + high) // 2
            if feature in examine(middle).present:
                high = middle
            else:
                low = middle
        findings.append(Finding(feature, examine(high), examine(low)))

    problems: list[str] = []
    ordered = [examined[r] for r in releases if r in examined]
    for before, after in itertools.pairwise(ordered):
        if after.provider_version < before.provider_version:
            problems.append(
                f"release order is not provider order: {format_version(before.release)} "
                f"(aws {format_version(before.provider_version)}) precedes "
                f"{format_version(after.release)} (aws {format_version(after.provider_version)})"
            )
    for feature in features:
        pattern = [feature in s.present for s in ordered]
        if pattern != sorted(pattern):
            problems.append(f"{feature.label} is not monotonic over the releases examined")
    return Derivation(releases, examined, findings, problems, time.monotonic() - started, peak)


def candidate_releases(first: Version, newest: Version | None = None) -> list[Version]:
    return [r for r in list_releases() if r >= first and (newest is None or r <= newest)]


# --------------------------------------------------------------------------------------
# The table.
# --------------------------------------------------------------------------------------

TABLE_HEADER = (
    "| argument (resource.path) | first aws version with it | last aws version without it "
    "| evidence (cdktf-cdktf-provider-aws releases) |"
)
MINIMUM_LINE = re.compile(r"^\*\*Proven minimum: hashicorp/aws >= (\d+\.\d+\.\d+)\*\*", re.M)
RANGE_LINE = re.compile(r"^Releases searched: (\d+(?:\.\d+)+) \.\. (\d+(?:\.\d+)+)", re.M)


def _cell(schema: ReleaseSchema | None, fallback: str) -> str:
    return fallback if schema is None else format_version(schema.provider_version)


def minimum(findings: Sequence[Finding]) -> Version:
    return max(
        (f.first_with.provider_version for f in findings if f.first_with is not None),
        default=(0,),
    )


def _sort_key(finding: Finding) -> tuple[int, tuple[int, ...], str]:
    """Newest requirement first; absent-from-newest rows on top."""
    if finding.first_with is None:
        return (0, (), finding.feature.label)
    negated = tuple(-part for part in finding.first_with.provider_version)
    return (1, negated, finding.feature.label)


def render(derivation: Derivation, sources: dict[Feature, list[str]]) -> str:
    releases = derivation.releases
    lines = [
        "# Minimum hashicorp/aws version, from provider schemas",
        "",
        "Generated by `python -m cogfed_tools.provider_minimums`; check with `--check`.",
        "Each row is an argument or nested block that the module's resources set",
        '(`*.tf` at the root and under `modules/`). "First with" is the first provider',
        "version whose schema, as published in the jsii assembly of a",
        f'`{PACKAGE}` release, has it; "last without" is the release before it in the',
        "bisect. Where the two package releases are adjacent but their provider versions",
        'are not, the argument appeared somewhere in between: "first with" is then an',
        "upper bound of the true first version, and still a version proven to have it.",
        "",
        f"Releases searched: {format_version(releases[0])} .. {format_version(releases[-1])}"
        f" ({len(releases)} releases, {len(derivation.examined)} examined)",
        "",
        f"**Proven minimum: hashicorp/aws >= {format_version(minimum(derivation.findings))}**",
        "",
        TABLE_HEADER,
        "| --- | --- | --- | --- |",
    ]
    index = {release: i for i, release in enumerate(releases)}
    for finding in sorted(derivation.findings, key=_sort_key):
        evidence = []
        if finding.last_without is not None:
            evidence.append(f"{format_version(finding.last_without.release)} (without)")
        if finding.first_with is not None:
            evidence.append(f"{format_version(finding.first_with.release)} (with)")
        if (
            finding.first_with is not None
            and finding.last_without is not None
            and index[finding.first_with.release] - index[finding.last_without.release] == 1
        ):
            evidence.append("adjacent releases")
        first_label = (
            f"<= {format_version(finding.first_with.provider_version)}"
            if finding.first_with is not None and finding.last_without is None
            else _cell(finding.first_with, "absent from the newest release")
        )
        lines.append(
            f"| `{finding.feature.label}` | {first_label} "
            f"| {_cell(finding.last_without, 'not searched (older)')} | {', '.join(evidence)} |"
        )
    lines += [
        "",
        '"<= X" means present in the oldest release searched (older than every 5.x release).',
        '"adjacent releases": no package release lies between the two, so the bracket is as',
        "tight as the published bindings allow.",
        "",
        "## Releases examined",
        "",
        "| cdktf-cdktf-provider-aws | hashicorp/aws | provider version read from |",
        "| --- | --- | --- |",
    ]
    for release in releases:
        schema = derivation.examined.get(release)
        if schema is not None:
            lines.append(
                f"| {format_version(release)} | {format_version(schema.provider_version)} "
                f"| {', '.join(schema.version_witnesses)} |"
            )
    if VALUE_REQUIREMENTS:
        lines += [
            "",
            "## Argument values (not in any schema, so not proven here)",
            "",
            "Validated values live in the provider binary, not in its schema, so no assembly",
            "shows them. Evidence is second-hand (terraform-provider-aws issues); these rows",
            "do not enter the proven minimum above.",
            "",
            "| argument | value | first aws version accepting it | module default? | evidence |",
            "| --- | --- | --- | --- | --- |",
        ]
        for item in VALUE_REQUIREMENTS:
            lines.append(
                f"| `{item.argument}` | `{item.value}` | {item.first_version} "
                f"| {'yes' if item.required_by_default else 'no'} | {item.evidence} |"
            )
    if derivation.problems:
        lines += ["", "## Problems", ""] + [f"- {p}" for p in derivation.problems]
    lines += ["", "## Where each argument is set", ""]
    for feature, files in sources.items():
        lines.append(f"- `{feature.label}`: {', '.join(files)}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class TableRow:
    feature: Feature
    first_with: str
    last_without: str
    evidence: str


def parse_table(text: str) -> tuple[Version, list[TableRow]]:
    """The proven minimum and the argument rows of docs/provider-minimums.md."""
    match = MINIMUM_LINE.search(text)
    if not match:
        raise ValueError("no proven minimum line")
    rows: list[TableRow] = []
    lines = text.splitlines()
    start = lines.index(TABLE_HEADER) + 2
    for line in lines[start:]:
        if not line.startswith("| `"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append(TableRow(Feature.from_label(cells[0].strip("`")), *cells[1:4]))
    return parse_version(match.group(1)), rows


def table_range(text: str) -> tuple[Version, Version]:
    match = RANGE_LINE.search(text)
    if not match:
        raise ValueError("no 'Releases searched' line")
    return parse_version(match.group(1)), parse_version(match.group(2))


def prune(keep: Version | None = None) -> int:
    """Delete cached wheels except `keep` (default: the newest cached); return bytes freed."""
    wheels = sorted(
        CACHE_DIR.glob("cdktf_cdktf_provider_aws-*.whl"),
        key=lambda p: parse_version(p.name.split("-")[1]),
    )
    if not wheels:
        return 0
    keep_path = wheel_path(keep) if keep else wheels[-1]
    freed = 0
    for path in wheels:
        if path != keep_path:
            freed += path.stat().st_size
            path.unlink()
    return freed


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="re-derive and compare the table")
    parser.add_argument("--prune", action="store_true", help="keep only the newest cached wheel")
    parser.add_argument("--first", default=DEFAULT_FIRST_RELEASE, help="oldest release to search")
    parser.add_argument("--newest", help="newest release to search (default: the newest)")
    args = parser.parse_args(argv)

    if args.prune and not args.check:
        print(f"freed {prune() / 1e6:.0f} MB")
        return 0

    sources = relied_on_features()
    features = list(sources)
    if args.check:
        first, newest = table_range(TABLE_PATH.read_text(encoding="utf-8"))
    else:
        first = parse_version(args.first)
        newest = parse_version(args.newest) if args.newest else None
    releases = candidate_releases(first, newest)
    print(
        f"{len(features)} arguments and blocks; {len(releases)} releases "
        f"{format_version(releases[0])} .. {format_version(releases[-1])}"
    )
    derivation = derive(features, releases)
    text = render(derivation, sources)
    print(
        f"examined {len(derivation.examined)} releases in {derivation.seconds:.0f} s; "
        f"peak cache {derivation.peak_cache_bytes / 1e6:.0f} MB"
    )
    for problem in derivation.problems:
        print(f"problem: {problem}")
    status = 0
    if args.check:
        current = TABLE_PATH.read_text(encoding="utf-8")
        if current != text:
            import difflib

            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    _shown(TABLE_PATH),
                    "re-derived",
                )
            )
            print("provider-minimums: the table does not match the schemas")
            status = 1
        else:
            print("provider-minimums: the table matches the schemas")
    else:
        TABLE_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {_shown(TABLE_PATH)}")
    print(f"proven minimum: hashicorp/aws >= {format_version(minimum(derivation.findings))}")
    if args.prune:
        print(f"freed {prune() / 1e6:.0f} MB")
    return status


if __name__ == "__main__":
    sys.exit(main())
