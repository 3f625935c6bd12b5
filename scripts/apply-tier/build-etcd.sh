#!/usr/bin/env bash
# Builds etcd for the apply tier (issue 10 §3). etcd's server module replaces its sibling modules
# (api, client/pkg, client/v3, pkg) by ../ paths, so `go install go.etcd.io/etcd/server/v3@...` refuses
# it; a module of ours requires it, and Go then resolves those siblings to their published versions
# at the same tag (server/v3 requires each at exactly its own version), with no replace of ours needed.
# The binary is server/v3's own main package (a wrapper of etcdmain.Main). Debian's etcd is 3.4, too
# old for Kubernetes 1.34. Cached next to kube-apiserver.
set -euo pipefail
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
OUT="${MLOPS_TOOLS_HOME:-$HOME/.cache/cdktf-mlops/tools}/apply-tier/etcd-$ETCD_VERSION"
[ -x "$OUT/etcd" ] && { echo "cached $OUT"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mod=$(go mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
{
  echo "module cdktf-mlops.local/apply-tier-etcd"
  echo
  echo "go $(sed -n 's/^go //p' "$mod")"
  echo
  echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
} >"$work/go.mod"
cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
cd "$work"
GOFLAGS=-mod=mod go mod tidy
# tidy must have kept each sibling at the server's own tag: a mismatch would be a silent skew.
for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do
  GOFLAGS=-mod=mod go list -m "go.etcd.io/etcd/$m" | grep -qx "go.etcd.io/etcd/$m $ETCD_VERSION" \
    || { echo "go.etcd.io/etcd/$m is not at $ETCD_VERSION" >&2; exit 1; }
done
mkdir -p "$OUT"
GOFLAGS=-mod=mod go build -o "$OUT/etcd" go.etcd.io/etcd/server/v3
echo "built $OUT"
