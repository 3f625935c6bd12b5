#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager for the apply tier (issue 10 §3, `npm run test:apply`;
# not in CI: too long a cold build). k8s.io/kubernetes's go.mod replaces every k8s.io/* staging
# module by a ./staging path, so `go install` refuses it; a module of ours requires it and replaces
# each staging module by its published v0.<minor>.<patch> instead. Measured: 34 min on a 2-core
# machine at nice 19 with other builds running (2026-12-01), into ~/.cache/cdktf-mlops/tools/apply-tier;
# relinking with the version stamp below took 68 s with the Go build cache warm.
set -euo pipefail
K8S_VERSION=${K8S_VERSION:-v1.34.3}
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
OUT="${MLOPS_TOOLS_HOME:-$HOME/.cache/cdktf-mlops/tools}/apply-tier/$K8S_VERSION"
# The version is stamped as Kubernetes' own build does (hack/lib/version.sh): without it /version says
# v0.0.0-master, and clients that branch on the server version (the kubernetes provider waits for a
# legacy service-account token Secret below 1.24) take the wrong path.
stamped() { "$1" --version 2>/dev/null | grep -qx "Kubernetes $K8S_VERSION"; }
stamped "$OUT/kube-apiserver" && stamped "$OUT/kube-controller-manager" && { echo "cached $OUT"; exit 0; }
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
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
v=k8s.io/component-base/version
GOFLAGS=-mod=mod go build -ldflags "-X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
  -o "$OUT/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
echo "built $OUT"
