import { App } from '../../lib/core/cdktf';
import { AwsMlopsStack } from './stack';

// Run with: npx cdktf synth --app "npx tsx examples/aws/main.ts"
const app = new App();
new AwsMlopsStack(app, 'mlops-aws', { stateBucket: process.env.MLOPS_STATE_BUCKET });
app.synth();
