#!/usr/bin/env bash
# The deploy module (deploy/go.mod, its own module so the main module gains
# no Kubernetes or registry dependencies): vet and tests.
set -euo pipefail
cd "$(dirname "$0")/../deploy"
go vet ./...
go test -count=1 ./...
echo "deploy module: ok"
