/**
 * Synthesis benchmark: how long synthesis takes as a stack grows (teams, each
 * with a platform namespace, a training job, a served model and a drift
 * monitor, all registered with one shared Monitoring), so a change that makes
 * synthesis superlinear shows up as a ratio, not as a slow CI.
 */
import { Testing, TerraformStack } from '../lib/core/cdktf';
import { MlopsPlatform, Monitoring } from '../lib';

function synthMs(teams: number): number {
  const start = performance.now();
  const app = Testing.app({ stackTraces: false });
  const stack = new TerraformStack(app, 'bench');
  const monitoring = new Monitoring(stack, 'Monitoring');
  for (let i = 0; i < teams; i++) {
    const platform = new MlopsPlatform(stack, `Team${i}`, { name: `team-${i}`, namespace: `team-${i}`, monitoring });
    const training = platform.addTrainingJob('Churn', { name: 'churn', image: 'ghcr.io/acme/train:1.0.0', command: ['python', 'train.py'], schedule: '0 0 * * 0' });
    platform.addModel('Churn', { model: 'models:/churn@champion', inferenceLogging: true });
    platform.addDriftMonitor('Churn', {
      model: 'churn',
      reference: 'datasets/churn/reference.csv',
      current: 'inference-logs/churn/',
      features: [{ name: 'tenure' }, { name: 'plan', type: 'categorical' }],
      retrain: { trainingJob: training },
    });
  }
  Testing.synth(stack);
  return performance.now() - start;
}

synthMs(1); // warm-up: module loading and JIT
const one = Math.min(...[0, 1, 2].map(() => synthMs(1)));
const twenty = Math.min(...[0, 1].map(() => synthMs(20)));
console.log(`synth 1 team (platform, training job, model, drift monitor): ${one.toFixed(0)} ms`);
console.log(`synth 20 teams: ${twenty.toFixed(0)} ms (${(twenty / one).toFixed(1)}x of one team; linear would be 20x)`);
