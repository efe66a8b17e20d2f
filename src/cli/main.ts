// src/cli/main.ts — process entry of the `toonlora` CLI (started by ./toonlora through tsx).
import '../vision/ort-telemetry.js'; // first: before any import loads onnxruntime-node
import { handleOutputError } from '../worker/stop-signals.js';
import { runCli } from './program.js';

// `toonlora ... | head` closes stdout early: that is the reader's choice, not a failure; while a worker runs it
// stops the run as Ctrl-C does (the worker checkpoints and ends) instead of leaving the worker orphaned.
process.stdout.on('error', (error: NodeJS.ErrnoException) => handleOutputError(error));
process.stderr.on('error', (error: NodeJS.ErrnoException) => handleOutputError(error));

process.exitCode = await runCli(process.argv.slice(2));
