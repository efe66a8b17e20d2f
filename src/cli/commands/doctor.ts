// src/cli/commands/doctor.ts — `toonlora doctor`: check Node, Python, torch, GPU, disk and models, and say
// what each missing piece blocks. Gathering and rules live in src/env/doctor.ts; this file formats.
import type { Command } from 'commander';
import { type DoctorReport, missingEssentials, runDoctor } from '../../env/doctor.js';
import { formatBytes } from '../../format-bytes.js';
import { trainingConfigSchema } from '../../schemas/config.js';
import { countLora, type LoraCount } from '../../worker/lora-count.js';
import { estimateTrainingMemory, type MemoryEstimate } from '../../worker/memory-estimate.js';
import { commandAction, printResult } from '../output.js';

function formatTorch(report: DoctorReport): string {
  const { torch } = report;
  if (torch.status !== 'ok') return `torch     ${torch.status}${torch.error ? `: ${torch.error}` : ''}`;
  const gpus = torch.gpus.map((g) => `${g.name} (${formatBytes(g.memoryBytes)})`).join(', ');
  return `torch     ${torch.version} on ${torch.device}${gpus ? `: ${gpus}` : ''}${torch.cudaVersion ? `, CUDA ${torch.cudaVersion}` : ''}`;
}

type DoctorOutput = DoctorReport & {
  loraSize?: LoraCount['lora'] & { rank: number };
  trainingMemory?: MemoryEstimate;
};

/** The default LoRA's real size from the SD1.5 config (the `train --dry-run` count), when torch works. */
async function defaultLoraSize(report: DoctorReport): Promise<DoctorOutput['loraSize']> {
  if (report.torch.status !== 'ok') return undefined;
  const config = trainingConfigSchema.parse({});
  const counted = await countLora(config).catch(() => undefined); // doctor reports; it never fails on this
  return counted && { ...counted.lora, rank: config.lora.rank };
}

/** With a GPU: what a default training run needs on it (the `train --dry-run` estimate), to set against its memory. */
async function defaultTrainingMemory(report: DoctorReport): Promise<MemoryEstimate | undefined> {
  if (report.torch.status !== 'ok' || report.torch.gpus.length === 0) return undefined;
  return estimateTrainingMemory(trainingConfigSchema.parse({})).catch(() => undefined); // doctor never fails on this
}

/** One line per GPU: does a default training run (estimated peak + the CUDA context) fit in its memory? */
export function formatTrainingMemory(
  estimate: MemoryEstimate,
  gpus: readonly { name: string; memoryBytes: number }[],
): string[] {
  const needGiB = estimate.peakGiB + estimate.cudaContextGiB;
  const head = `memory    a default training run needs ~${needGiB.toFixed(1)} GiB of GPU memory (estimated peak ${estimate.peakGiB.toFixed(2)} GiB + ~${estimate.cudaContextGiB} GiB CUDA context)`;
  return [
    head,
    ...gpus.map((gpu) => {
      const haveGiB = gpu.memoryBytes / 2 ** 30;
      return haveGiB >= needGiB
        ? `          fits ${gpu.name} (${haveGiB.toFixed(1)} GiB)`
        : `          more than ${gpu.name} has (${haveGiB.toFixed(1)} GiB): lower batchSize or resolution, fewer sampleSeeds, keep gradientCheckpointing on`;
    }),
  ];
}

function formatLoraSize(size: NonNullable<DoctorOutput['loraSize']>): string {
  return `lora      default r=${size.rank}: ${size.modules} modules, ${size.trainableParams.toLocaleString('en-US')} trainable parameters (${size.countedOn})`;
}

function formatReport(report: DoctorOutput): string {
  const { python, disk } = report;
  const lines = [
    `node      ${report.node.version}${report.node.ok ? '' : ' (too old)'}`,
    `python    ${python.systemCommand} ${python.systemVersion ?? 'not found'}`,
    `venv      ${python.venv} ${python.venvExists ? `(Python ${python.venvVersion ?? '?'}, setup stamp ${python.stamp})` : python.venvBroken ? '(broken: its Python is missing)' : '(missing)'}`,
    formatTorch(report),
    ...(report.compilers
      ? [
          `compilers C ${report.compilers.c ?? 'none'}   C++ ${report.compilers.cxx ?? 'none'} (for --compile)`,
        ]
      : []),
    ...(report.loraSize ? [formatLoraSize(report.loraSize)] : []),
    ...(report.trainingMemory ? formatTrainingMemory(report.trainingMemory, report.torch.gpus) : []),
    `disk      ${disk.freeBytes === undefined ? `unknown (${disk.error})` : `${formatBytes(disk.freeBytes)} free`} at ${disk.path}`,
    ...(report.hfDisk
      ? [
          `hf disk   ${report.hfDisk.freeBytes === undefined ? `unknown (${report.hfDisk.error})` : `${formatBytes(report.hfDisk.freeBytes)} free`} at ${report.hfDisk.path} (the Hugging Face cache)`,
        ]
      : []),
    `home      ${report.paths.toonloraHome}   hf cache ${report.paths.hfHubCache}`,
    'models',
    ...report.models.map(
      (m) =>
        `  ${m.present ? 'ok     ' : m.broken ? 'broken ' : 'missing'} ${m.id}${m.present || m.broken ? `  ${m.path}` : ''}`,
    ),
  ];
  if (report.corruptCopies && report.corruptCopies.length > 0) {
    lines.push('corrupt copies (bad files models pull moved aside; safe to delete)');
    for (const copy of report.corruptCopies)
      lines.push(`  ${formatBytes(copy.bytes).padStart(8)}  ${copy.path}`);
  }
  if (report.problems.length > 0) {
    lines.push('', 'missing or weak, and what it blocks:');
    for (const p of report.problems) {
      lines.push(`  - ${p.detail}: ${p.blocks}${p.fix ? `. Fix: ${p.fix}` : ''}`);
    }
  }
  lines.push('', doctorVerdict(report));
  return lines.join('\n');
}

/** The report's last line: whether the main job can run, and the exit code that goes with it. */
export function doctorVerdict(report: Pick<DoctorReport, 'problems'>): string {
  const missing = missingEssentials(report.problems);
  if (missing.length > 0) {
    return `doctor: essentials missing or broken: ${missing.join(', ')} (see above); exit 1`;
  }
  // every problem listed under "missing or weak" is counted: a missing model and a weak GPU alike
  const optional = report.problems.length;
  return optional > 0
    ? `doctor: essentials ok; ${optional} optional piece${optional === 1 ? '' : 's'} missing or weak (see above)`
    : 'doctor: essentials ok';
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check Node, Python, the worker venv, torch and its device (CUDA / MPS / CPU, GPU memory), disk ' +
        'space and the models, and say what each missing piece blocks; exit 1 when an essential (Node, Python, ' +
        'the worker venv, torch) is missing or broken, 0 when only optional pieces (models, GPU, compilers, disk space) are',
    )
    .option('--venv <path>', 'venv folder to check (default: $TOONLORA_VENV, else trainer/.venv)')
    .option('--json', 'print the report as JSON', false)
    .action(
      commandAction('doctor', async (flags: { venv?: string; json?: boolean }) => {
        const report = await runDoctor({ venv: flags.venv });
        const [loraSize, trainingMemory] = await Promise.all([
          defaultLoraSize(report),
          defaultTrainingMemory(report),
        ]);
        printResult(
          { ...report, ...(loraSize ? { loraSize } : {}), ...(trainingMemory ? { trainingMemory } : {}) },
          flags,
          formatReport,
        );
        return report.ok ? 0 : 1;
      }),
    );
}
