import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { realToolPath } from './real-tools-env';
import { requireTool, type ToolCheck } from './tools';

const NOT_INSTALLED = '<not installed: run scripts/ci/real-tools.sh>';
export const CHECKOV = realToolPath('MLOPS_CHECKOV') ?? NOT_INSTALLED;
export const KUBERNETES_VALIDATE = realToolPath('MLOPS_KUBERNETES_VALIDATE') ?? NOT_INSTALLED;
/** The python of the venv holding kubernetes-validate (and so jsonschema and PyYAML). */
export const VENV_PYTHON = join(dirname(KUBERNETES_VALIDATE), 'python');
export const HELM = realToolPath('MLOPS_HELM') ?? NOT_INSTALLED;

const installHint = (what: string): ToolCheck => ({ available: false, reason: `${what} not found; run scripts/ci/real-tools.sh` });

// Only its presence: `checkov --version` imports all of checkov, which can outlast a probe's timeout on a busy machine.
export function requireCheckov(): ToolCheck {
  return existsSync(CHECKOV) ? { available: true, reason: '' } : installHint(CHECKOV);
}
export function requireHelm(): ToolCheck {
  return existsSync(HELM) ? requireTool(HELM, ['version', '--short']) : installHint(HELM);
}
export function requireKubernetesValidate(): ToolCheck {
  return existsSync(KUBERNETES_VALIDATE) ? requireTool(KUBERNETES_VALIDATE, ['--version']) : installHint(KUBERNETES_VALIDATE);
}

/** CRD files of the custom resources our local charts render, as scripts/ci/real-tools.sh downloaded them. */
export function crdFiles(): string[] {
  return (realToolPath('MLOPS_CRDS') ?? '').split(':').filter((f) => f && existsSync(f));
}
