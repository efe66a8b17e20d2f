// src/cli/main.ts — process entry of the `toonlora` CLI (started by ./toonlora through tsx).
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2));
