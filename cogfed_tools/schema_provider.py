"""A schema-only Terraform provider: the offline stand-in for `terraform validate`.

The real AWS and archive providers cannot be installed here (FACTS.md §9), and
Terraform core refuses to validate a configuration without its providers' schemas.
This plugin speaks the Terraform plugin protocol (v6) and serves, for each resource
and data source type, exactly the argument, block and exported attribute names that
the provider's documentation lists (`../shared/provider-schema/`, plus the project's
own additions). With it, `terraform init` and `terraform validate` run unmodified:
Terraform core itself reports unknown arguments and blocks, missing required
arguments, and references to anything undeclared.

What it cannot know: argument types (every argument is typed `dynamic`) and whether
a nested block is a list, a set or a single object (all are lists). It refuses to
plan or apply, because it has no API behind it.

Run by Terraform as `python -m cogfed_tools.schema_provider aws|archive`.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from concurrent import futures
from typing import Any

SCHEMA_FILES_ENV = "COGFED_PROVIDER_SCHEMA_FILES"
DYNAMIC = b'"dynamic"'

# Data sources whose type name does not start with the provider's name.
DATA_SOURCE_OWNERS = {"archive_file": "archive"}


def load_documented_names(paths: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Merge the documented-names files; later files add types or replace whole types."""
    merged: dict[str, dict[str, Any]] = {"resources": {}, "data_sources": {}}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        for kind in merged:
            merged[kind].update(document.get(kind, {}))
    return merged


def owner_of(type_name: str, kind: str) -> str:
    if kind == "data_sources" and type_name in DATA_SOURCE_OWNERS:
        return DATA_SOURCE_OWNERS[type_name]
    return type_name.split("_", 1)[0]


def _block(pb: Any, spec: Mapping[str, Any], exported: Iterable[str] = ()) -> Any:
    required = set(spec.get("required", []))
    blocks: Mapping[str, Any] = spec.get("blocks", {})
    attributes = []
    seen: set[str] = set()
    for name in spec.get("arguments", []):
        if name in blocks or name in seen:
            continue
        seen.add(name)
        is_required = name in required
        # Optional arguments are also computed: many (arn, tags_all, ...) are both.
        attributes.append(
            pb.Schema.Attribute(
                name=name,
                type=DYNAMIC,
                required=is_required,
                optional=not is_required,
                computed=not is_required,
            )
        )
    for name in exported:
        # Names such as "replica.*.arn" describe attributes of nested blocks.
        if name in blocks or name in seen or "." in name:
            continue
        seen.add(name)
        attributes.append(pb.Schema.Attribute(name=name, type=DYNAMIC, computed=True))
    block_types = [
        pb.Schema.NestedBlock(
            type_name=name,
            block=_block(pb, nested),
            nesting=pb.Schema.NestedBlock.LIST,
        )
        for name, nested in blocks.items()
    ]
    return pb.Schema.Block(attributes=attributes, block_types=block_types)


def provider_schemas(pb: Any, documented: Mapping[str, Any], provider: str) -> dict[str, Any]:
    """Resource and data-source schemas of one provider, as plugin-protocol messages."""
    schemas: dict[str, Any] = {}
    for kind in ("resources", "data_sources"):
        schemas[kind] = {
            type_name: pb.Schema(
                version=0,
                block=_block(pb, spec, ["id", *spec.get("attributes", [])]),
            )
            for type_name, spec in documented[kind].items()
            if owner_of(type_name, kind) == provider
        }
    return schemas


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


def serve(provider: str) -> None:
    import grpc
    from tf.gen import grpc_controller_pb2 as controller_pb
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc
    from tf.gen import tfplugin_pb2 as pb
    from tf.gen import tfplugin_pb2_grpc as rpc

    paths = [p for p in os.environ.get(SCHEMA_FILES_ENV, "").split(os.pathsep) if p]
    if not paths:
        sys.exit(f"{SCHEMA_FILES_ENV} names no documented-names file")
    schemas = provider_schemas(pb, load_documented_names(paths), provider)
    provider_config = pb.Schema(
        block=pb.Schema.Block(
            attributes=[pb.Schema.Attribute(name="region", type=DYNAMIC, optional=True)]
        )
    )
    no_plan = pb.Diagnostic(
        severity=pb.Diagnostic.ERROR,
        summary="Offline schema provider",
        detail=(
            f"This {provider} provider only knows the documented argument names; "
            "plan and apply need the real provider."
        ),
    )

    class Servicer(rpc.ProviderServicer):
        def GetMetadata(self, request, context):
            return pb.GetMetadata.Response()

        def GetProviderSchema(self, request, context):
            return pb.GetProviderSchema.Response(
                provider=provider_config,
                provider_meta=pb.Schema(block=pb.Schema.Block()),
                resource_schemas=schemas["resources"],
                data_source_schemas=schemas["data_sources"],
            )

        def ValidateProviderConfig(self, request, context):
            return pb.ValidateProviderConfig.Response()

        def ValidateResourceConfig(self, request, context):
            return pb.ValidateResourceConfig.Response()

        def ValidateDataResourceConfig(self, request, context):
            return pb.ValidateDataResourceConfig.Response()

        def UpgradeResourceState(self, request, context):
            return pb.UpgradeResourceState.Response(diagnostics=[no_plan])

        def ConfigureProvider(self, request, context):
            return pb.ConfigureProvider.Response(diagnostics=[no_plan])

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
    if len(sys.argv) != 2:
        sys.exit("usage: python -m cogfed_tools.schema_provider aws|archive")
    serve(sys.argv[1])
