#!/usr/bin/env bash
# Regenerates Sources/ONNXProto/onnx.pb.swift from the official ONNX schema.
#
# The generated file is committed; CI never runs this script. Run it only to
# move to another ONNX release. It needs network access (or the two overrides
# below), `protoc` (tested with libprotoc 3.21.12) and a Swift toolchain.
#
#   ONNX_VERSION          ONNX release tag whose onnx/onnx.proto is used (default v1.22.0)
#   ONNX_PROTO            path to an onnx.proto already on disk (skips the download)
#   SWIFT_PROTOBUF_REPO   git URL or path of swift-protobuf (default: GitHub)
#   SWIFT_PROTOBUF_TAG    its tag; must match the version Package.swift depends on (default 1.39.0)
#
# The plugin protoc-gen-swift is built from swift-protobuf in a temporary
# directory (about ten minutes on two cores) and deleted afterwards; nothing
# but onnx.pb.swift is written into the repository.
set -euo pipefail

ONNX_VERSION="${ONNX_VERSION:-v1.22.0}"
SWIFT_PROTOBUF_REPO="${SWIFT_PROTOBUF_REPO:-https://github.com/apple/swift-protobuf.git}"
SWIFT_PROTOBUF_TAG="${SWIFT_PROTOBUF_TAG:-1.39.0}"

root="$(cd "$(dirname "$0")/.." && pwd)"
output="$root/Sources/ONNXProto/onnx.pb.swift"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v protoc >/dev/null || { echo "protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }

# 1. The schema: onnx/onnx.proto of the release (proto2, package onnx).
mkdir -p "$work/proto"
if [[ -n "${ONNX_PROTO:-}" ]]; then
    cp "$ONNX_PROTO" "$work/proto/onnx.proto"
else
    curl -fsSL "https://raw.githubusercontent.com/onnx/onnx/$ONNX_VERSION/onnx/onnx.proto" -o "$work/proto/onnx.proto"
fi

# 2. The plugin, built from the same swift-protobuf release the package links.
git clone --quiet "$SWIFT_PROTOBUF_REPO" "$work/swift-protobuf"
git -C "$work/swift-protobuf" checkout --quiet "$SWIFT_PROTOBUF_TAG"
(cd "$work/swift-protobuf" && swift build -c release --product protoc-gen-swift)
plugin="$(cd "$work/swift-protobuf" && swift build -c release --show-bin-path)/protoc-gen-swift"

# 3. Generate with public visibility so the RNNConvert target can use the types.
mkdir -p "$work/out"
protoc --plugin=protoc-gen-swift="$plugin" \
    --proto_path="$work/proto" \
    --swift_opt=Visibility=Public \
    --swift_out="$work/out" \
    "$work/proto/onnx.proto"

{
    echo "// Generated from the official ONNX schema: onnx/onnx.proto of ONNX release $ONNX_VERSION"
    echo "// (https://github.com/onnx/onnx/blob/$ONNX_VERSION/onnx/onnx.proto) with"
    echo "// $(protoc --version) and protoc-gen-swift from swift-protobuf $SWIFT_PROTOBUF_TAG."
    echo "// Do not edit: regenerate with scripts/generate_onnx_proto.sh."
    echo
    cat "$work/out/onnx.pb.swift"
} > "$output"
echo "wrote $output"
