import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { requireTool, type ToolCheck } from './tools';

/** The tools scripts/ci/real-tools.sh installs under the home directory (its `export` lines override). */
const TOOLS = process.env.MLOPS_TOOLS_HOME ?? join(homedir(), '.cache/cdktf-mlops/tools');
const VENV = join(TOOLS, 'venv-checkov-3.3.30-kv-1.37.0');
export const CHECKOV = process.env.MLOPS_CHECKOV ?? join(VENV, 'bin/checkov');
export const KUBERNETES_VALIDATE = process.env.MLOPS_KUBERNETES_VALIDATE ?? join(VENV, 'bin/kubernetes-validate');
export const VENV_PYTHON = join(VENV, 'bin/python');
export const HELM = process.env.MLOPS_HELM ?? join(TOOLS, 'bin/helm-v3.19.0');

const installHint = (what: string): ToolCheck => ({ available: false, reason: `${what} not found; run scripts/ci/real-tools.sh` });

export function requireCheckov(): ToolCheck {
  return existsSync(CHECKOV) ? requireTool(CHECKOV, ['--version']) : installHint(CHECKOV);
}
export function requireHelm(): ToolCheck {
  return existsSync(HELM) ? requireTool(HELM, ['version', '--short']) : installHint(HELM);
}
export function requireKubernetesValidate(): ToolCheck {
  return existsSync(KUBERNETES_VALIDATE) ? requireTool(KUBERNETES_VALIDATE, ['--version']) : installHint(KUBERNETES_VALIDATE);
}

/**
 * CRD files of the custom resources our local charts render: as scripts/ci/real-tools.sh exports them,
 * or where its `go mod download` put them (the versions pinned there).
 */
export function crdFiles(): string[] {
  if (process.env.MLOPS_CRDS) return process.env.MLOPS_CRDS.split(':').filter((f) => f && existsSync(f));
  let modCache = join(homedir(), 'go/pkg/mod');
  try {
    modCache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim() || modCache;
  } catch {
    // no go on PATH: the default module cache
  }
  const eso = join(modCache, 'github.com/external-secrets/external-secrets@v1.3.2/config/crds/bases');
  return [
    join(modCache, 'sigs.k8s.io/gateway-api@v1.3.0/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml'),
    join(eso, 'external-secrets.io_externalsecrets.yaml'),
    join(eso, 'external-secrets.io_secretstores.yaml'),
  ].filter((f) => existsSync(f));
}
