#!/usr/bin/env bash
# The generated assembly (kernels/_gen) must match the committed .s files:
# regenerate into a temporary directory and diff, failing on any difference.
set -euo pipefail
cd "$(dirname "$0")/../kernels"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./_gen -out "$tmp"
status=0
for f in "$tmp"/*.s; do
	diff -u "$(basename "$f")" "$f" || status=1
done
if [ "$status" != 0 ]; then
	echo "kernels: the .s files above differ from kernels/_gen's output; edit the generator and run go generate ./kernels" >&2
	exit 1
fi
echo "generated assembly: up to date"
