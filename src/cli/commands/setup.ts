// src/cli/commands/setup.ts — `toonlora setup`: create the Python worker environment (trainer/.venv)
// and install its pinned packages; a no-op when the requirements have not changed since the last run.
import type { Command } from 'commander';
import { setupPythonEnv } from '../../env/python-env.js';
import { PYTORCH_CPU_INDEX, TORCH_INDEX_ENV } from '../../env/torch-choice.js';
import { commandAction, printResult } from '../output.js';

interface SetupFlags {
  venv?: string;
  dev?: boolean;
  force?: boolean;
  json?: boolean;
}

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description(
      'create the Python worker environment and install its pinned packages (torch first, the build ' +
        'chosen for this machine, then trainer/requirements.txt); fast no-op when nothing changed',
    )
    .option('--venv <path>', 'venv folder (default: $TOONLORA_VENV, else trainer/.venv)')
    .option('--dev', 'also install trainer/requirements-dev.txt (pytest, onnx, bench tools)', false)
    .option('--force', 'run pip even when the install stamp says nothing changed', false)
    .option('--json', 'print the result as JSON (pip output still goes to stderr)', false)
    .addHelpText(
      'after',
      `\nEnvironment:\n  ${TORCH_INDEX_ENV}  pip index for torch, e.g. ${PYTORCH_CPU_INDEX} (CPU-only build)\n` +
        '  TOONLORA_VENV             venv folder (same as --venv)\n' +
        '  TOONLORA_PYTHON           interpreter that creates the venv (default python3, >= 3.10)',
    )
    .action(
      commandAction('setup', async (flags: SetupFlags) => {
        const result = await setupPythonEnv({ venv: flags.venv, dev: flags.dev, force: flags.force });
        printResult(result, flags, (r) =>
          r.status === 'up-to-date'
            ? `setup: ${r.venv} is up to date (Python ${r.pythonVersion}, ${r.requirements.join(' + ')})`
            : `setup: ${r.venv} ready (Python ${r.pythonVersion}, ${r.torch.spec}: ${r.torch.reason}; ${r.requirements.join(' + ')})`,
        );
        return 0;
      }),
    );
}
