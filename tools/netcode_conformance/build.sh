#!/bin/sh
# Build gen_vectors against a checkout of the reference (mas-bandwidth/netcode) and write
# tests/net/netcode/vectors.txt. Usage: tools/netcode_conformance/build.sh /path/to/netcode
# Needs only a C compiler: the reference bundles libsodium (sodium/sodium.c).
set -eu
REF=${1:?usage: build.sh /path/to/netcode-checkout [output]}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${2:-"$HERE/../../tests/net/netcode/vectors.txt"}
BUILD=${BUILD_DIR:-$(mktemp -d)}
CC=${CC:-cc}
$CC -O1 -w -c -I"$REF/sodium" "$REF/sodium/sodium.c" -o "$BUILD/sodium.o"
$CC -O1 -w -DNETCODE_RELEASE -c -I"$REF" -I"$REF/sodium" "$REF/netcode.c" -o "$BUILD/netcode.o"
$CC -O1 -Wall -Wextra -I"$REF" "$HERE/gen_vectors.c" "$BUILD/netcode.o" "$BUILD/sodium.o" \
    -o "$BUILD/gen_vectors" -lm
"$BUILD/gen_vectors" > "$OUT"
echo "wrote $(wc -l < "$OUT") vectors to $OUT (built in $BUILD)"
