import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../core/cdktf';
import { loadSpec, specStacks, validateSpec } from './spec-file';
import { platformSpecJsonSchema } from './spec-schema';
import { formatProblem, SpecError } from './spec-source';

/** Where the CLI writes: stdout and stderr, or buffers in tests. */
export interface CliOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const USAGE = `usage: cdktf-mlops <command>
  validate <file>...          check platform specs; exit 1 with file:line:column: path: problem
  schema                      print the JSON Schema of a platform spec
  synth <file> [--env <name>] the app for cdktf: cdktf synth --app "npx cdktf-mlops synth platform.yaml"
                              (one stack per environment; --env picks some)`;

/** Runs a command of the `cdktf-mlops` CLI; returns the exit code (0 ok, 1 invalid spec, 2 usage). */
export function runCli(argv: readonly string[], io: CliOutput = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): number {
  const [command, ...args] = argv;
  try {
    if (command === 'schema' && args.length === 0) {
      io.out(JSON.stringify(platformSpecJsonSchema(), null, 2) + '\n');
      return 0;
    }
    if (command === 'validate' && args.length > 0) {
      let code = 0;
      for (const file of args) {
        // The stacks are built, so the constructs' own checks run too, but not synthesized (App makes its empty outdir).
        const outdir = mkdtempSync(join(tmpdir(), 'cdktf-mlops-validate-'));
        const problems = validateSpec(new App({ outdir }), file);
        rmSync(outdir, { recursive: true, force: true });
        if (problems.length) io.err(problems.map(formatProblem).join('\n') + '\n');
        else io.out(`${file}: valid\n`);
        if (problems.length) code = 1;
      }
      return code;
    }
    if (command === 'synth') {
      const envs: string[] = [];
      const files: string[] = [];
      for (let i = 0; i < args.length; i++) {
        if (args[i] === '--env' && args[i + 1]) envs.push(args[++i]!);
        else files.push(args[i]!);
      }
      if (files.length !== 1) return usage(io);
      const app = new App(); // outdir from CDKTF_OUTDIR, which cdktf synth sets
      specStacks(app, loadSpec(files[0]!), envs);
      app.synth();
      return 0;
    }
    return usage(io);
  } catch (err) {
    if (err instanceof SpecError) {
      io.err(err.message + '\n');
      return 1;
    }
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') {
      io.err(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function usage(io: CliOutput): number {
  io.err(USAGE + '\n');
  return 2;
}
