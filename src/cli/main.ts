// src/cli/main.ts — process entry of the `toonlora` CLI (started by ./toonlora through tsx).
import '../vision/ort-telemetry.js'; // first: before any import loads onnxruntime-node
import { runCli } from './program.js';

// `toonlora ... | head` closes stdout early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2));
