"""Generates Python stubs for Lacak's protos into a temporary folder and imports them.

Nothing is checked in: the stubs always match the `proto/` of this checkout.
"""

import importlib
import pathlib
import sys
import tempfile

from grpc_tools import protoc

PROTO_ROOT = pathlib.Path(__file__).resolve().parents[3] / "proto"


def load(*modules):
    """Compiles every .proto under proto/ and returns the named generated modules."""
    out = pathlib.Path(tempfile.mkdtemp(prefix="lacak-stubs-"))
    wkt = pathlib.Path(protoc.__file__).parent / "_proto"
    files = [str(p.relative_to(PROTO_ROOT)) for p in sorted(PROTO_ROOT.rglob("*.proto"))]
    code = protoc.main(
        ["grpc_tools.protoc", f"-I{PROTO_ROOT}", f"-I{wkt}", f"--python_out={out}", f"--grpc_python_out={out}", *files]
    )
    if code != 0:
        raise RuntimeError(f"protoc failed with {code}")
    for folder in out.rglob("*"):
        if folder.is_dir():
            (folder / "__init__.py").touch()
    sys.path.insert(0, str(out))
    return [importlib.import_module(m) for m in modules]


SERVICE_CONFIG = PROTO_ROOT.parent / "docs" / "grpc-service-config.json"


def channel(target):
    """A channel using the published service config: deadlines, and retries of reads on UNAVAILABLE."""
    import grpc

    return grpc.insecure_channel(target, options=[("grpc.service_config", SERVICE_CONFIG.read_text())])
