/**
 * Synthesis benchmark: how long `cdktf synth` of a platform takes as it grows,
 * so a change that makes synthesis quadratic shows up as a ratio, not as a
 * slow CI. Prints milliseconds per stack and the ratio between sizes.
 */
import { Testing, TerraformStack } from '../lib/core/cdktf';
import { MlopsPlatform } from '../lib';

function synthMs(platforms: number): number {
  const start = performance.now();
  const app = Testing.app({ stackTraces: false });
  const stack = new TerraformStack(app, 'bench');
  for (let i = 0; i < platforms; i++) new MlopsPlatform(stack, `P${i}`, { name: `p${i}`, namespace: `mlops-${i}` });
  Testing.synth(stack);
  return performance.now() - start;
}

synthMs(1); // warm-up: module loading and JIT
const small = Math.min(...[0, 1, 2].map(() => synthMs(1)));
const large = Math.min(...[0, 1].map(() => synthMs(20)));
console.log(`synth 1 platform: ${small.toFixed(0)} ms`);
console.log(`synth 20 platforms: ${large.toFixed(0)} ms (${(large / small).toFixed(1)}x of one; linear would be 20x)`);
