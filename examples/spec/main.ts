import { join } from 'node:path';
import { App } from '../../lib/core/cdktf';
import { loadSpec, specStacks } from '../../lib';

// The spec examples as the app `npx cdktf-mlops synth <file>` runs (lib/spec/cli.ts), both in one app:
// mlops-local and mlops-aws (examples/local and examples/aws as specs), and fleet-staging, fleet-production.
//   CHECKPOINT_DISABLE=1 npx cdktf synth --app "npx tsx examples/spec/main.ts"
const app = new App();
for (const file of ['local.yaml', 'aws.yaml', 'fleet.yaml']) specStacks(app, loadSpec(join(__dirname, file)));
app.synth();
