"""An offline Terraform provider: the real providers' schemas, planning without an API.

The providers cannot be downloaded here (FACTS.md §9). This plugin speaks
the Terraform plugin protocol (v6) and serves the schema the real providers declare
(`cogfed_gate/schemas/providers.json.gz`, generated from the providers' published
schemas by `make provider-schema`): attribute types, required, optional and computed,
nested blocks with their nesting mode and item limits. Terraform core does the rest, as
it would with the real provider: `terraform validate` reports wrong types, missing
required arguments and blocks written as attributes; `terraform plan` evaluates every
expression, module, `count` and `for_each`.

Planning (creation from an empty state only, which is what an offline plan is):
- a managed resource's planned values are its configuration; an attribute the provider
  computes and the configuration leaves unset is unknown ("known after apply"), and an
  optional attribute that is not computed stays null, as with the real provider;
- a data source is read at plan time, so its values must be known. `archive_file` is
  answered as the archive provider does: the archive is written and hashed.
  `aws_region`, `aws_partition` and `aws_caller_identity` answer with the configured
  region (else AWS_REGION or AWS_DEFAULT_REGION, else us-east-1), partition `aws` and account
  `123456789012` (a stand-in). Any other data
  source gets typed stand-ins for its computed values: `"offline-stand-in"` for strings,
  0, false and empty collections. Plans of such data sources say nothing true about AWS.
- apply is refused: there is no API behind it.

Run by Terraform as `python -m cogfed_gate.schema_provider <name>`, one of the providers
the schema file holds: aws, archive, and the utility providers local, null, random, time and
tls. `local_file` data sources read the file as the local provider does.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import fnmatch
import functools
import gzip
import hashlib
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from concurrent import futures
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

# Generated from the providers' published schemas by `make provider-schema`
# (cogfed_tools/provider_schema_gen.py, in a checkout); shipped with the gate.
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "providers.json.gz"


@functools.cache
def load_provider_schemas() -> dict[str, Any]:
    """The committed schema document (`terraform providers schema -json` format)."""
    with gzip.open(SCHEMA_FILE, "rb") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


@functools.cache
def provider_addresses() -> dict[str, str]:
    """Each provider the schema file holds, by its local name (the type-name prefix). Read
    when asked: a provider process answering from the cached response never parses the file."""
    return {
        address.rsplit("/", 1)[-1]: address
        for address in load_provider_schemas()["provider_schemas"]
    }


STAND_IN_ACCOUNT = "123456789012"
STAND_IN_REGION = "us-east-1"
STAND_IN_STRING = "offline-stand-in"


# Terraform starts a provider process for each command and graph walk, and each asks for the
# schema: building its ~1,500 messages takes most of a start-up, so the
# serialized answer is kept, keyed by everything it is made from.
def _cache_home() -> Path:
    with contextlib.suppress(RuntimeError):  # no home directory: a temporary one
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(tempfile.gettempdir())


RESPONSE_CACHE_DIR = _cache_home() / "cogfed-gate" / "offline-provider"
# Set by an offline plan of a root: the directory files may be read from and written to.
CONFINE_ENV = "COGFED_OFFLINE_ROOT"


def provider_schema(provider: str) -> dict[str, Any]:
    return load_provider_schemas()["provider_schemas"][provider_addresses()[provider]]


def schema_version(provider: str) -> str:
    """The provider version the committed schema was generated from."""
    for package in load_provider_schemas().get("generated_from", {}).get("packages", []):
        if package.get("provider") == provider_addresses()[provider]:
            return str(package["provider_version"])
    raise KeyError(f"{SCHEMA_FILE} does not say which {provider} provider version it holds")


# --- schema JSON -> plugin protocol messages -------------------------------------------


def _type_bytes(cty_type: Any) -> bytes:
    return json.dumps(cty_type, separators=(",", ":")).encode()


def block_message(pb: Any, block: Mapping[str, Any], in_set: bool = False) -> Any:
    nesting = pb.Schema.NestedBlock
    modes = {
        "single": nesting.SINGLE,
        "list": nesting.LIST,
        "set": nesting.SET,
        "map": nesting.MAP,
        "group": nesting.GROUP,
    }
    attributes = [
        pb.Schema.Attribute(
            name=name,
            # Terraform refuses dynamic attributes inside set blocks; the generator types
            # only the few blocks the bindings lose (generated_from.lossy) as dynamic.
            type=_type_bytes("string" if in_set and spec["type"] == "dynamic" else spec["type"]),
            required=bool(spec.get("required")),
            optional=bool(spec.get("optional")),
            computed=bool(spec.get("computed")),
            sensitive=bool(spec.get("sensitive")),
        )
        for name, spec in sorted(block.get("attributes", {}).items())
    ]
    block_types = [
        nesting(
            type_name=name,
            block=block_message(pb, spec["block"], in_set or spec["nesting_mode"] == "set"),
            nesting=modes[spec["nesting_mode"]],
            min_items=int(spec.get("min_items", 0)),
            max_items=int(spec.get("max_items", 0)),
        )
        for name, spec in sorted(block.get("block_types", {}).items())
    ]
    return pb.Schema.Block(attributes=attributes, block_types=block_types)


# --- values: msgpack with Terraform's unknown extension ---------------------------------


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


def decode(raw: bytes) -> Any:
    import msgpack

    def ext_hook(code: int, data: bytes) -> Any:
        return UNKNOWN if code == 0 else msgpack.ExtType(code, data)

    return msgpack.unpackb(raw, ext_hook=ext_hook, raw=False, strict_map_key=False)


def encode(value: Any) -> bytes:
    import msgpack

    def default(obj: Any) -> Any:
        if obj is UNKNOWN:
            return msgpack.ExtType(0, b"")
        raise TypeError(f"cannot encode {obj!r}")

    return msgpack.packb(value, default=default, use_bin_type=True)


def planned_object(block: Mapping[str, Any], proposed: Any) -> Any:
    """`proposed` with every computed attribute the configuration left null made unknown."""
    if proposed is None or proposed is UNKNOWN:
        return proposed
    planned = dict(proposed)
    for name, spec in block.get("attributes", {}).items():
        if spec.get("computed") and planned.get(name) is None:
            planned[name] = UNKNOWN
    for name, spec in block.get("block_types", {}).items():
        planned[name] = _map_nested(spec, planned.get(name), planned_object)
    return planned


def _map_nested(spec: Mapping[str, Any], value: Any, fill: Any) -> Any:
    if value is None or value is UNKNOWN:
        return value
    inner = spec["block"]
    mode = spec["nesting_mode"]
    if mode in ("list", "set"):
        return [fill(inner, item) for item in value]
    if mode == "map":
        return {key: fill(inner, item) for key, item in value.items()}
    return fill(inner, value)


def stand_in(cty_type: Any) -> Any:
    """A known value of `cty_type` for a data source attribute no one can read offline."""
    if cty_type == "string":
        return STAND_IN_STRING
    if cty_type == "number":
        return 0
    if cty_type == "bool":
        return False
    if isinstance(cty_type, list) and cty_type[0] in ("list", "set", "tuple"):
        return []
    if isinstance(cty_type, list) and cty_type[0] == "map":
        return {}
    if isinstance(cty_type, list) and cty_type[0] == "object":
        return {name: stand_in(member) for name, member in cty_type[1].items()}
    return None  # dynamic: null is a known value


def read_object(block: Mapping[str, Any], config: Any, known: Mapping[str, Any]) -> Any:
    """A data source's state: the configuration, with computed nulls given stand-ins, and
    the values this provider knows (`known`) for optional ones too (`aws_region.name`,
    which the schema cannot show as computed: provider_schema_gen.py).

    Other optional nulls stay null: a stand-in there (false, 0) could turn a `count` that
    the real provider's default would keep at 1 into 0, and hide a resource from the plan;
    a null fails the plan loudly instead."""
    if config is None:
        return None
    state = dict(config)
    for name, spec in block.get("attributes", {}).items():
        if state.get(name) is None and (spec.get("computed") or name in known):
            state[name] = known[name] if name in known else stand_in(spec["type"])
    for name, spec in block.get("block_types", {}).items():
        state[name] = _map_nested(spec, state.get(name), lambda b, v: read_object(b, v, {}))
    return state


def confined(path: str) -> Path:
    """`path` (relative to the configuration), refused when it leads outside the directory
    an offline plan of someone's root runs in (CONFINE_ENV): the configuration decides
    what this provider reads into the plan and where it writes a zip."""
    resolved = Path(path).resolve()
    root = os.environ.get(CONFINE_ENV)
    if root and not resolved.is_relative_to(Path(root).resolve()):
        raise ValueError(
            f"{path} is outside the copy this offline plan runs in; the offline provider "
            "reads and writes files only there (paths from path.module, path.root or "
            "path.cwd stay inside it)"
        )
    return resolved


def archive_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """What the archive provider's `archive_file` computes: it writes the zip and hashes it."""
    output = confined(config["output_path"])
    output.parent.mkdir(parents=True, exist_ok=True)
    excludes = [str(e) for e in config.get("excludes") or []]
    # Written beside the target and renamed: several instances of one module read the same
    # archive at once, and each must see a whole file.
    handle, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    os.close(handle)
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        if config.get("source_dir"):
            root = confined(config["source_dir"])
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                relative = path.relative_to(root).as_posix()
                if not _excluded(relative, excludes):
                    _add(archive, relative, path.read_bytes())
        elif config.get("source_file"):
            path = confined(config["source_file"])
            _add(archive, path.name, path.read_bytes())
        elif config.get("source_content") is not None:
            _add(archive, config["source_content_filename"], config["source_content"].encode())
    os.replace(partial, output)
    data = output.read_bytes()
    return {
        "id": hashlib.sha1(data).hexdigest(),  # the archive provider's own id
        "output_size": len(data),
        **_digests(data, "output", sha1_name="output_sha"),
    }


def _digests(data: bytes, prefix: str, *, sha1_name: str) -> dict[str, str]:
    """The hashes the archive and local providers compute of a file, under their names."""
    sha256, sha512 = hashlib.sha256(data).digest(), hashlib.sha512(data).digest()
    return {
        sha1_name: hashlib.sha1(data).hexdigest(),
        f"{prefix}_md5": hashlib.md5(data).hexdigest(),
        f"{prefix}_sha256": sha256.hex(),
        f"{prefix}_base64sha256": base64.b64encode(sha256).decode(),
        f"{prefix}_sha512": sha512.hex(),
        f"{prefix}_base64sha512": base64.b64encode(sha512).decode(),
    }


def _excluded(relative: str, patterns: list[str]) -> bool:
    """The archive provider's `excludes`: a path, or a glob where `**/` spans directories."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatchcase(candidate, glob)
        for pattern in patterns
        for glob in {pattern, pattern.replace("**/", "")}
        for candidate in (relative, *prefixes, parts[-1])
    )


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    # A fixed timestamp, as the archive provider uses, so the hash depends on content only.
    info = zipfile.ZipInfo(name, date_time=(2049, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def local_file_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """What the local provider's `local_file` data source reads: the file, and its hashes."""
    data = confined(config["filename"]).read_bytes()
    return {
        "id": hashlib.sha1(data).hexdigest(),
        "content": data.decode("utf-8", errors="replace"),
        "content_base64": base64.b64encode(data).decode(),
        **_digests(data, "content", sha1_name="content_sha1"),
    }


def data_source_values(type_name: str, config: Mapping[str, Any], region: str) -> dict[str, Any]:
    if type_name == "archive_file":
        return archive_values(config)
    if type_name in ("local_file", "local_sensitive_file"):
        return local_file_values(config)
    if type_name == "null_data_source":
        return {"outputs": dict(config.get("inputs") or {}), "random": STAND_IN_STRING}
    if type_name == "aws_region":
        name = config.get("name") or config.get("region") or region
        return {"id": name, "name": name, "region": name, "endpoint": f"{name}.amazonaws.com"}
    if type_name == "aws_partition":
        return {
            "id": "aws",
            "partition": "aws",
            "dns_suffix": "amazonaws.com",
            "reverse_dns_prefix": "com.amazonaws",
        }
    if type_name == "aws_caller_identity":
        return {
            "id": STAND_IN_ACCOUNT,
            "account_id": STAND_IN_ACCOUNT,
            "arn": f"arn:aws:iam::{STAND_IN_ACCOUNT}:root",
            "user_id": STAND_IN_ACCOUNT,
        }
    return {}


# --- the plugin server ------------------------------------------------------------------


def _certificate() -> tuple[bytes, bytes, bytes]:
    """A throw-away self-signed certificate for go-plugin's TLS handshake."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_der = certificate.public_bytes(serialization.Encoding.DER)
    return key_pem, cert_pem, cert_der


def schema_response(pb: Any, provider: str) -> Any:
    """The GetProviderSchema answer, built once per schema file and code and kept on disk."""
    digest = hashlib.sha256(provider.encode())
    for source in (SCHEMA_FILE, Path(__file__), Path(pb.__file__)):
        digest.update(source.read_bytes())
    cached = RESPONSE_CACHE_DIR / f"{provider}-{digest.hexdigest()[:24]}.pb"
    with contextlib.suppress(OSError, DecodeError):
        return pb.GetProviderSchema.Response.FromString(cached.read_bytes())
    schema = provider_schema(provider)

    def message(spec: Mapping[str, Any]) -> Any:
        return pb.Schema(
            version=int(spec.get("version", 0)), block=block_message(pb, spec["block"])
        )

    response = pb.GetProviderSchema.Response(
        provider=message(schema["provider"]),
        provider_meta=pb.Schema(block=pb.Schema.Block()),
        resource_schemas={n: message(s) for n, s in schema.get("resource_schemas", {}).items()},
        data_source_schemas={
            n: message(s) for n, s in schema.get("data_source_schemas", {}).items()
        },
        # Terraform may then skip asking the other processes it starts in one command.
        server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
    )
    with contextlib.suppress(OSError):  # a read-only checkout plans as well, only slower
        RESPONSE_CACHE_DIR.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed: concurrent plans read whole files only.
        handle, partial = tempfile.mkstemp(dir=RESPONSE_CACHE_DIR, prefix=f".{cached.name}.")
        with os.fdopen(handle, "wb") as out:
            out.write(response.SerializeToString())
        os.replace(partial, cached)
        for stale in RESPONSE_CACHE_DIR.glob(f"{provider}-*.pb"):
            if stale != cached:
                stale.unlink(missing_ok=True)
    return response


def serve(provider: str) -> None:
    import grpc
    from tf.gen import grpc_controller_pb2 as controller_pb
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc
    from tf.gen import tfplugin_pb2 as pb
    from tf.gen import tfplugin_pb2_grpc as rpc

    # As the real provider: the configured region, else the environment's, else a stand-in.
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    settings: dict[str, Any] = {"region": region or STAND_IN_REGION}

    @functools.cache
    def blocks(kind: str) -> Mapping[str, Any]:
        # Read only by a process that plans or reads: most starts only answer the schema.
        return provider_schema(provider).get(kind, {})

    def error(summary: str, detail: str) -> Any:
        return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)

    no_api = error(
        "Offline provider",
        f"This {provider} provider has the real schema but no API: it plans, it does not "
        "read or change infrastructure. Use the real provider to apply.",
    )

    class Servicer(rpc.ProviderServicer):
        def GetMetadata(self, request, context):
            return pb.GetMetadata.Response()

        def GetProviderSchema(self, request, context):
            return schema_response(pb, provider)

        def ValidateProviderConfig(self, request, context):
            return pb.ValidateProviderConfig.Response()

        def ValidateResourceConfig(self, request, context):
            return pb.ValidateResourceConfig.Response()

        def ValidateDataResourceConfig(self, request, context):
            return pb.ValidateDataResourceConfig.Response()

        def ConfigureProvider(self, request, context):
            config = decode(request.config.msgpack) or {}
            if isinstance(config.get("region"), str):
                settings["region"] = config["region"]
            return pb.ConfigureProvider.Response()

        def PlanResourceChange(self, request, context):
            prior = decode(request.prior_state.msgpack) if request.prior_state.msgpack else None
            proposed = decode(request.proposed_new_state.msgpack)
            if prior is not None:
                # Offline plans start from an empty state; there is nothing to compare with.
                return pb.PlanResourceChange.Response(diagnostics=[no_api])
            block = blocks("resource_schemas")[request.type_name]["block"]
            planned = planned_object(block, proposed)
            return pb.PlanResourceChange.Response(
                planned_state=pb.DynamicValue(msgpack=encode(planned))
            )

        def ReadDataSource(self, request, context):
            config = decode(request.config.msgpack)
            block = blocks("data_source_schemas")[request.type_name]["block"]
            try:
                known = data_source_values(request.type_name, config, settings["region"])
            except (OSError, KeyError, ValueError) as problem:
                return pb.ReadDataSource.Response(
                    diagnostics=[error(f"Offline {request.type_name}", str(problem))]
                )
            state = read_object(block, config, known)
            return pb.ReadDataSource.Response(state=pb.DynamicValue(msgpack=encode(state)))

        def UpgradeResourceState(self, request, context):
            return pb.UpgradeResourceState.Response(diagnostics=[no_api])

        def ReadResource(self, request, context):
            return pb.ReadResource.Response(diagnostics=[no_api])

        def ApplyResourceChange(self, request, context):
            return pb.ApplyResourceChange.Response(diagnostics=[no_api])

        def ImportResourceState(self, request, context):
            return pb.ImportResourceState.Response(diagnostics=[no_api])

        def StopProvider(self, request, context):
            return pb.StopProvider.Response()

    class Controller(controller_rpc.GRPCControllerServicer):
        def Shutdown(self, request, context):
            server.stop(grace=0.1)
            return controller_pb.Empty()

    key_pem, cert_pem, cert_der = _certificate()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    rpc.add_ProviderServicer_to_server(Servicer(), server)
    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    with tempfile.TemporaryDirectory(prefix="cogfed-schema-provider-") as tmp:
        socket_path = os.path.join(tmp, "plugin.sock")
        credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)])
        server.add_secure_port(f"unix://{socket_path}", credentials)
        server.start()
        # go-plugin handshake: core version|protocol version|network|address|protocol|cert
        certificate = base64.b64encode(cert_der).decode().rstrip("=")
        print(f"1|6|unix|{socket_path}|grpc|{certificate}", flush=True)
        server.wait_for_termination()


if __name__ == "__main__":
    # Not checked against the schema file here: most starts answer from the cached response
    # and never parse it. An unknown name fails when its schema is looked up.
    if len(sys.argv) != 2 or not sys.argv[1].isidentifier():
        sys.exit("usage: python -m cogfed_gate.schema_provider <provider local name, e.g. aws>")
    serve(sys.argv[1])
