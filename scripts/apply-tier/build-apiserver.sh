#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager for the apply tier (issue 10 §3, not wired into CI
# yet: no test applies to them so far). k8s.io/kubernetes's go.mod replaces every k8s.io/* staging
# module by a ./staging path, so `go install` refuses it; a module of ours requires it and replaces
# each staging module by its published v0.<minor>.<patch> instead. Measured: 34 min on a 2-core
# machine at nice 19 with other builds running (2026-12-01), into ~/.cache/cdktf-mlops/apply-tier.
set -euo pipefail
K8S_VERSION=${K8S_VERSION:-v1.34.3}
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
OUT="${MLOPS_TOOLS_HOME:-$HOME/.cache/cdktf-mlops/tools}/apply-tier/$K8S_VERSION"
[ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kube-controller-manager" ] && { echo "cached $OUT"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
{
  echo "module cdktf-mlops.local/apply-tier"
  echo
  echo "go $(sed -n 's/^go //p' "$mod")"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  sed -n 's#^\s*\(k8s.io/[a-z-]*\) => ./staging/.*#\1#p' "$mod" | while read -r m; do echo "	$m => $m $STAGING_VERSION"; done
  echo ")"
} >"$work/go.mod"
cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO
cd "$work"
GOFLAGS=-mod=mod go mod tidy
mkdir -p "$OUT"
GOFLAGS=-mod=mod go build -o "$OUT/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
echo "built $OUT"
