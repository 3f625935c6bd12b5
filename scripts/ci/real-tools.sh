#!/usr/bin/env bash
# Builds the real infrastructure tools our tests run, from the registries this machine reaches,
# and caches them under the home directory so a warm machine skips every step:
#   - Terraform v1.5.7 (the last MPL release; its go.mod has no `replace` lines, so plain
#     `go install` builds it, and Go 1.26 compiles its 2023 dependencies),
#   - a CLI config whose filesystem mirror holds the providers the cdktf bindings were generated
#     from (kubernetes 2.38.0, helm 3.1.1, random 3.7.2), so `terraform init` works offline where
#     the mirror has them (see below why this script cannot build them),
#   - helm v3 (lint/template of our local charts),
#   - actionlint (the example GitHub Actions workflows; it runs shellcheck on their `run:` scripts
#     when shellcheck is on PATH, which .ci/run installs from Debian),
#   - cron-parse (test/real-tools/cron-parse): robfig/cron v3, the parser the Kubernetes API server
#     validates CronJob schedules with and the CronJob controller runs, behind a line-per-schedule CLI,
#   - a Python venv with checkov and kubernetes-validate,
#   - the CRDs of the custom resources our local charts render (Gateway API, External Secrets), from
#     those projects' Go modules.
# Prints `export` lines for the environment the tests read (eval "$(scripts/ci/real-tools.sh)").
# Logs go to stderr. Versions are pinned here and nowhere else.
set -euo pipefail

ROOT="${MLOPS_TOOLS_HOME:-$HOME/.cache/cdktf-mlops/tools}"
TERRAFORM_VERSION=1.5.7
HELM_VERSION=v3.19.0
ACTIONLINT_VERSION=v1.7.12
CHECKOV_VERSION=3.3.30
KUBERNETES_VALIDATE_VERSION=1.37.0
# robfig/cron's version is pinned in test/real-tools/cron-parse/go.mod (v3.0.1, as Kubernetes requires it)
# CustomResourceDefinitions our local charts render objects of, from the projects' Go modules
GATEWAY_API_VERSION=v1.3.0
EXTERNAL_SECRETS_VERSION=v1.3.2
# type version module commit
PROVIDERS=(
  "kubernetes 2.38.0 github.com/hashicorp/terraform-provider-kubernetes be88f44271050f69d52f410bca388834afedfe71"
  "helm 3.1.1 github.com/hashicorp/terraform-provider-helm 1cbf08f6a306ab3cdff6079b87a61c7641b64f3b"
  "random 3.7.2 github.com/terraform-providers/terraform-provider-random bc2ddb552b4676d16997987a9bf2875c7b98d342"
)

log() { echo "real-tools: $*" >&2; }
mkdir -p "$ROOT/bin"
export GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN=local

# go_build <dest> <module@version>: builds into a temp GOBIN and moves the binary into place,
# so an interrupted build never leaves a half-written tool that a warm run would trust.
go_build() {
  local dest=$1 mod=$2 tmp
  [ -x "$dest" ] && { log "cached $dest"; return; }
  tmp=$(mktemp -d)
  log "building $mod"
  local start=$SECONDS
  GOBIN="$tmp" go install "$mod" >&2
  mkdir -p "$(dirname "$dest")"
  mv "$tmp"/* "$dest"
  rm -rf "$tmp"
  log "built $mod in $((SECONDS - start)) s"
}

TERRAFORM="$ROOT/bin/terraform-$TERRAFORM_VERSION"
go_build "$TERRAFORM" "github.com/hashicorp/terraform@v$TERRAFORM_VERSION"

# The providers cannot come from the Go module proxy: it refuses their release commits
# ("403 Forbidden ... This module version is not available"; their module paths carry no /v2 or /v3
# suffix, so no tagged release is servable either). The validate tests run where the mirror holds
# them and are skipped, with that reason, where it does not.
MIRROR="$ROOT/mirror"
for p in "${PROVIDERS[@]}"; do
  read -r type version _module _commit <<<"$p"
  bin="$MIRROR/registry.terraform.io/hashicorp/$type/$version/linux_amd64/terraform-provider-${type}_v$version"
  if [ -x "$bin" ]; then log "provider $type $version: in the mirror"; else log "provider $type $version: NOT in the mirror (not buildable from the Go module proxy); terraform validate tests will be skipped"; fi
done
cat >"$ROOT/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
RC

HELM="$ROOT/bin/helm-$HELM_VERSION"
go_build "$HELM" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"

ACTIONLINT="$ROOT/bin/actionlint-$ACTIONLINT_VERSION"
go_build "$ACTIONLINT" "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"

# Our own small Go program, built from its module in this repo: the cache key is its sources' hash.
CRON_PARSE_SRC="$(cd "$(dirname "$0")/../.." && pwd)/test/real-tools/cron-parse"
CRON_PARSE="$ROOT/bin/cron-parse-$(cat "$CRON_PARSE_SRC"/main.go "$CRON_PARSE_SRC"/go.mod "$CRON_PARSE_SRC"/go.sum | sha256sum | cut -c1-12)"
if [ -x "$CRON_PARSE" ]; then log "cached $CRON_PARSE"; else
  log "building cron-parse (robfig/cron v3)"
  tmp=$(mktemp -d)
  (cd "$CRON_PARSE_SRC" && go build -o "$tmp/cron-parse" .) >&2
  mv "$tmp/cron-parse" "$CRON_PARSE"
  rm -rf "$tmp"
fi

VENV="$ROOT/venv-checkov-$CHECKOV_VERSION-kv-$KUBERNETES_VALIDATE_VERSION"
# the stamp is written last, so an interrupted install is redone, not trusted
if [ ! -f "$VENV/.installed" ]; then
  log "installing checkov $CHECKOV_VERSION and kubernetes-validate $KUBERNETES_VALIDATE_VERSION"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2
  touch "$VENV/.installed"
else
  log "cached $VENV"
fi

go_module_dir() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
GATEWAY_API_DIR=$(go_module_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")
ESO_DIR=$(go_module_dir "github.com/external-secrets/external-secrets@$EXTERNAL_SECRETS_VERSION")

# The paths, for the tests: exported by `eval "$(...)"`, and kept in tools.env so a plain `npm test`
# (a fresh-clone check, a developer's shell) finds the same tools.
{
  echo "MLOPS_TERRAFORM=$TERRAFORM"
  echo "MLOPS_TF_CLI_CONFIG=$ROOT/terraformrc"
  echo "MLOPS_HELM=$HELM"
  echo "MLOPS_ACTIONLINT=$ACTIONLINT"
  echo "MLOPS_CRON_PARSE=$CRON_PARSE"
  echo "MLOPS_CHECKOV=$VENV/bin/checkov"
  echo "MLOPS_KUBERNETES_VALIDATE=$VENV/bin/kubernetes-validate"
  echo "MLOPS_CRDS=$GATEWAY_API_DIR/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml:$ESO_DIR/config/crds/bases/external-secrets.io_externalsecrets.yaml:$ESO_DIR/config/crds/bases/external-secrets.io_secretstores.yaml"
} >"$ROOT/tools.env"
sed "s/^\([A-Z_]*\)=\(.*\)$/export \1='\2'/" "$ROOT/tools.env"
