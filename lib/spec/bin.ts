#!/usr/bin/env node
// The `cdktf-mlops` command (package.json "bin"): see lib/spec/cli.ts.
import { runCli } from './cli';

process.exitCode = runCli(process.argv.slice(2));
