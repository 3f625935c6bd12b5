import { describe, expect, it } from 'vitest';
import { TerraformStack } from '../../lib/core/cdktf';
import type { SynthesizedJson } from '../../lib/testing';
import { addAllFeaturesPlatform } from '../support/all-features';
import { synthApp, synthExample } from '../support/app-synth';
import { describeDiagnostics, missingProviders, requireTerraform, terraformValidate, withKnownValues, withoutAws } from '../support/terraform';
import { inCi } from '../support/tools';

// `terraform validate` with the real kubernetes, helm and random providers, on every example and on a
// platform with every feature on. Terraform itself is built by scripts/ci/real-tools.sh (so a missing
// one fails in CI). The providers cannot be built from the Go module proxy (it refuses their release
// commits: "403 Forbidden ... This module version is not available"), so where the mirror lacks them
// the stacks are skipped with that reason, visibly, rather than passing.
const terraform = requireTerraform();

function stacks(): [string, () => SynthesizedJson][] {
  return [
    ['examples/local', () => synthExample('local')['mlops-local'].json],
    ['examples/aws (AWS resources stood in for, see withoutAws)', () => withoutAws(synthExample('aws', { MLOPS_STATE_BUCKET: 'acme-tf-state' })['mlops-aws'].json)],
    ['examples/spec/fleet.yaml, production (the spec on AWS; AWS resources stood in for)', () => withoutAws(synthExample('spec')['fleet-production'].json)],
    ['a platform with every feature on', () => synthApp((app) => { addAllFeaturesPlatform(new TerraformStack(app, 'all-features')); })['all-features'].json],
  ];
}

describe('terraform validate with the real providers', () => {
  if (!terraform.available) {
    if (inCi) it('has Terraform (built by scripts/ci/real-tools.sh)', () => expect.fail(terraform.reason));
    else it.skip(`[skipped: ${terraform.reason}]`, () => undefined);
    return;
  }
  // Each stack twice: as the first plan sees it (references unknown), and as every later plan does
  // (all values known), where the providers validate the blocks they skipped the first time.
  for (const [name, synth] of stacks()) {
    for (const [when, view] of [['first plan', (j: SynthesizedJson) => j], ['later plans, values known', withKnownValues]] as const) {
      it(`accepts ${name} (${when})`, (ctx) => {
        const json = view(synth());
        const missing = missingProviders(json);
        if (missing.length > 0) {
          console.warn(`terraform validate of ${name} SKIPPED: no provider binary for ${missing.join(', ')}; the Go module proxy does not serve their release commits`);
          ctx.skip();
        }
        const diagnostics = terraformValidate(json);
        const errors = diagnostics.filter((d) => d.severity === 'error');
        expect(describeDiagnostics(errors)).toEqual([]);
        const warnings = describeDiagnostics(diagnostics.filter((d) => d.severity === 'warning'));
        if (warnings.length > 0) console.warn(`${name}: terraform validate warnings:\n${warnings.join('\n')}`);
      }, 240_000);
    }
  }
});
