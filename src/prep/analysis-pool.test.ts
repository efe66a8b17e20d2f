// The analysis scheduler with stand-in analysers (order, look-ahead window, lost analysers, errors,
// cancelling), the thread arithmetic, and which buffers may move between threads.
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import {
  AnalyserLostError,
  analyserCount,
  analysisWindow,
  AUTO_FILES_PER_ANALYSER,
  type FileAnalyser,
  inferenceThreadCount,
  threadsPerInferenceThread,
  OrderedAnalysis,
  staffAnalysis,
  threadsPerAnalyser,
  transferableBuffers,
  type WorkerAnalyser,
  workersWarning,
} from './analysis-pool.js';
import type { FileAnalysis } from './analyse-file.js';

const files = Array.from({ length: 8 }, (_, i) => `/in/f${i}.png`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An analysis that names its file and the analyser that made it. */
function analysisOf(source: string, by: string): FileAnalysis {
  return {
    kind: 'analysed',
    source,
    timings: {},
    width: 1,
    height: 1,
    textRegions: 0,
    candidates: [],
    segmenter: by,
    bubbleLikeParts: 0,
  };
}

/** A stand-in analyser taking `delay(source)` ms per file; records what it started. */
function fakeAnalyser(name: string, delay: (source: string) => number, started: string[] = []): FileAnalyser {
  return {
    async analyse(source) {
      started.push(source);
      await sleep(delay(source));
      return analysisOf(source, name);
    },
  };
}

async function collect(
  analysis: OrderedAnalysis,
): Promise<Array<{ source: string; analysis: FileAnalysis }>> {
  const out = [];
  for await (const item of analysis.results()) out.push(item);
  return out;
}

describe('OrderedAnalysis', () => {
  it('yields every file in input order while a fast and a slow analyser finish out of order', async () => {
    const analysis = new OrderedAnalysis(files, { window: 4 });
    const slow = analysis.join(fakeAnalyser('slow', () => 15));
    const fast = analysis.join(fakeAnalyser('fast', () => 1));
    const results = await collect(analysis);
    await Promise.all([slow, fast]);
    expect(results.map((r) => r.source)).toEqual(files);
    const by = results.map((r) => (r.analysis.kind === 'analysed' ? r.analysis.segmenter : ''));
    expect(new Set(by)).toEqual(new Set(['slow', 'fast'])); // both took files
    expect(analysis.stoppedEarly).toBe(false);
  });

  it('never has more than `window` files started and not yet finished by the consumer', async () => {
    const started: string[] = [];
    const analysis = new OrderedAnalysis(files, { window: 3 });
    void analysis.join(fakeAnalyser('a', () => 0, started));
    void analysis.join(fakeAnalyser('b', () => 0, started));
    const iterator = analysis.results();
    await iterator.next(); // the consumer is busy with the first file and does not ask again
    await sleep(20);
    expect(started).toEqual(files.slice(0, 3));
    await iterator.next(); // done with the first: one more may start
    await sleep(20);
    expect(started).toEqual(files.slice(0, 4));
    await iterator.return(undefined);
  });

  it('window 1: the next file starts only once the consumer has finished the previous one', async () => {
    const events: string[] = [];
    const analysis = new OrderedAnalysis(files.slice(0, 3), {
      window: 1,
      onStart: (i) => events.push(`start ${i}`),
    });
    void analysis.join(fakeAnalyser('a', () => 1));
    let index = 0;
    for await (const _item of analysis.results()) {
      await sleep(5); // finishing the file
      events.push(`done ${index++}`);
    }
    expect(events).toEqual(['start 0', 'done 0', 'start 1', 'done 1', 'start 2', 'done 2']);
  });

  it('an analyser that joins late (a worker still opening its models) takes the files left', async () => {
    const analysis = new OrderedAnalysis(files, { window: 8 });
    let late: Promise<void> | undefined;
    const first = analysis.join(
      fakeAnalyser('first', (source) => {
        // the late one joins while the first is busy with its first file: the other seven are still left
        if (source === files[0]) late = analysis.join(fakeAnalyser('late', () => 5));
        return 5;
      }),
    );
    const results = await collect(analysis);
    await Promise.all([first, late]);
    expect(results.map((r) => r.source)).toEqual(files);
    expect(results.some((r) => r.analysis.kind === 'analysed' && r.analysis.segmenter === 'late')).toBe(true);
  });

  it('a lost analyser fails only the file it had; the others finish the run', async () => {
    const analysis = new OrderedAnalysis(files, { window: 8 });
    const dying: FileAnalyser = {
      async analyse() {
        await sleep(2);
        throw new AnalyserLostError('the analysis worker exited (code 3)');
      },
    };
    void analysis.join(dying);
    void analysis.join(fakeAnalyser('ok', () => 3));
    const results = await collect(analysis);
    expect(results.map((r) => r.source)).toEqual(files);
    const failed = results.filter((r) => r.analysis.kind === 'failed');
    expect(failed).toHaveLength(1);
    const entry = failed[0]?.analysis.kind === 'failed' ? failed[0].analysis.entry : undefined;
    expect(entry?.status).toBe('error');
    expect(entry?.reason).toContain('the analysis worker exited (code 3)');
    expect(entry?.reason).toMatch(new RegExp(`^${(failed[0]?.source ?? '').split('/').pop()}: `));
  });

  it('any other error stops handing out files and is thrown at that file', async () => {
    const analysis = new OrderedAnalysis(files, { window: 8 });
    const broken: FileAnalyser = {
      async analyse(source) {
        if (source === files[2])
          throw new ToonloraError('TL_ERR_MODEL_MISSING', 'isnet-anime: model file not found');
        return analysisOf(source, 'x');
      },
    };
    void analysis.join(broken);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const item of analysis.results()) seen.push(item.source);
      })(),
    ).rejects.toThrow(/isnet-anime: model file not found/);
    expect(seen).toEqual(files.slice(0, 2));
  });

  it('an abort stops handing out files; the files already started are still yielded', async () => {
    const controller = new AbortController();
    const analysis = new OrderedAnalysis(files, { window: 2, signal: controller.signal });
    void analysis.join(fakeAnalyser('a', () => 5));
    const seen: string[] = [];
    for await (const item of analysis.results()) {
      seen.push(item.source);
      if (seen.length === 2) controller.abort();
    }
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.length).toBeLessThan(files.length);
    expect(seen).toEqual(files.slice(0, seen.length));
    expect(analysis.stoppedEarly).toBe(true);
  });

  it('an already aborted signal starts nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const started: string[] = [];
    const analysis = new OrderedAnalysis(files, { window: 2, signal: controller.signal });
    await analysis.join(fakeAnalyser('a', () => 0, started));
    expect(await collect(analysis)).toEqual([]);
    expect(started).toEqual([]);
    expect(analysis.stoppedEarly).toBe(true);
  });
});

/** A stand-in worker: ready after `readyAfterMs` (or failing to start), lost after `loseAfter` files. */
function fakeWorker(
  name: string,
  options: { readyAfterMs?: number; startError?: string; loseAfter?: number },
): WorkerAnalyser {
  let analysed = 0;
  const ready: Promise<void> = options.startError
    ? sleep(1).then(() => Promise.reject(new Error(options.startError)))
    : sleep(options.readyAfterMs ?? 0).then(() => undefined);
  ready.catch(() => undefined);
  return {
    ready,
    configure: () => undefined,
    async analyse(source) {
      await sleep(2);
      if (options.loseAfter !== undefined && analysed >= options.loseAfter) {
        throw new AnalyserLostError('the analysis worker exited (code 1)');
      }
      analysed++;
      return analysisOf(source, name);
    },
    close: async () => undefined,
  };
}

const madeBy = (results: Array<{ analysis: FileAnalysis }>) =>
  results.map((r) => (r.analysis.kind === 'analysed' ? r.analysis.segmenter : 'failed'));

describe('staffAnalysis', () => {
  it('without workers, this thread analyses `hereAtOnce` files at a time, in input order', async () => {
    const started: string[] = [];
    let inFlight = 0;
    let most = 0;
    const here: FileAnalyser = {
      async analyse(source) {
        started.push(source);
        most = Math.max(most, ++inFlight);
        await sleep(source.endsWith('1.png') ? 8 : 2); // finishes out of order
        inFlight--;
        return analysisOf(source, 'here');
      },
    };
    const analysis = new OrderedAnalysis(files, { window: 12 });
    const working = staffAnalysis(analysis, here, [], () => undefined, 3);
    const results = await collect(analysis);
    await working;
    expect(most).toBe(3);
    expect(results.map((r) => r.source)).toEqual(files);
    expect(started).toEqual(files);
  });

  it('this thread analyses until a worker is ready, then leaves the rest to the workers', async () => {
    const analysis = new OrderedAnalysis(files, { window: 8 });
    const working = staffAnalysis(
      analysis,
      fakeAnalyser('here', () => 4),
      [fakeWorker('w', { readyAfterMs: 6 })],
      () => {
        throw new Error('no start failure expected');
      },
    );
    const results = await collect(analysis);
    await working;
    const by = madeBy(results);
    expect(by[0]).toBe('here');
    expect(by.at(-1)).toBe('w');
    expect(by.lastIndexOf('here')).toBeLessThan(by.indexOf('w') + 2); // here stops once w works (one file may overlap)
  });

  it('a worker that does not start is reported, and this thread analyses everything', async () => {
    const failures: string[] = [];
    const analysis = new OrderedAnalysis(files, { window: 8 });
    const working = staffAnalysis(
      analysis,
      fakeAnalyser('here', () => 1),
      [fakeWorker('w', { startError: 'isnet-anime: not loadable' })],
      (e) => failures.push(e.message),
    );
    const results = await collect(analysis);
    await working;
    expect(failures).toEqual(['isnet-anime: not loadable']);
    expect(new Set(madeBy(results))).toEqual(new Set(['here']));
  });

  it('when the last worker is lost, its file fails and this thread takes the files left', async () => {
    const analysis = new OrderedAnalysis(files, { window: 8 });
    const working = staffAnalysis(
      analysis,
      fakeAnalyser('here', () => 1),
      [fakeWorker('w', { loseAfter: 2 })],
      () => undefined,
    );
    const results = await collect(analysis);
    await working;
    const by = madeBy(results);
    expect(results.map((r) => r.source)).toEqual(files);
    expect(by.filter((b) => b === 'failed').length).toBeGreaterThanOrEqual(1); // the file(s) it held when lost
    expect(by.filter((b) => b === 'failed').length).toBeLessThanOrEqual(2); // (joined twice: two queued)
    expect(by.at(-1)).toBe('here');
  });
});

describe('analyserCount / threadsPerAnalyser', () => {
  it('auto: from 3 cores one per core up to 4, and only with enough files per thread', () => {
    expect(analyserCount('auto', 6, 4)).toBe(1);
    expect(analyserCount('auto', 2 * AUTO_FILES_PER_ANALYSER, 4)).toBe(2);
    expect(analyserCount('auto', 3 * AUTO_FILES_PER_ANALYSER, 3)).toBe(3);
    expect(analyserCount('auto', 1000, 16)).toBe(4);
    expect(analyserCount('auto', 1000, 1)).toBe(1);
  });

  it('auto: on 2 cores the run thread alone (with inference threads), however many files', () => {
    expect(analyserCount('auto', 6, 2)).toBe(1);
    expect(analyserCount('auto', 1000, 2)).toBe(1);
  });

  it('inference threads: one per core up to 4, from 2 files and 2 cores', () => {
    expect(inferenceThreadCount(10, 2)).toBe(2);
    expect(inferenceThreadCount(10, 16)).toBe(4);
    expect(inferenceThreadCount(1, 16)).toBe(0);
    expect(inferenceThreadCount(10, 1)).toBe(0);
  });

  it('window: 1 for one file at a time on the run thread, else 4 per worker or per file at once', () => {
    expect(analysisWindow(0, 1)).toBe(1);
    expect(analysisWindow(0, 3)).toBe(12);
    expect(analysisWindow(2, 1)).toBe(8);
  });

  it("inference threads share the cores but the run thread's, at least one onnxruntime thread each", () => {
    expect(threadsPerInferenceThread(2, 2)).toBe(1);
    expect(threadsPerInferenceThread(4, 16)).toBe(3);
    expect(threadsPerInferenceThread(4, 4)).toBe(1);
  });

  it('a number is taken as given, but never above the file count', () => {
    expect(analyserCount(3, 100, 2)).toBe(3);
    expect(analyserCount(8, 2, 16)).toBe(2);
    expect(analyserCount(1, 100, 16)).toBe(1);
  });

  it('shares the cores between the analysers, at least one thread each', () => {
    expect(threadsPerAnalyser(2, 2)).toBe(1);
    expect(threadsPerAnalyser(4, 16)).toBe(4);
    expect(threadsPerAnalyser(3, 2)).toBe(1);
    expect(threadsPerAnalyser(1, 8)).toBe(8);
  });
});

describe('transferableBuffers', () => {
  it('moves whole buffers of crops, thumbnails and stage images, not views into a shared one', () => {
    const crop = new Uint8Array(12);
    const thumbnail = new Float64Array(4);
    const shared = new Uint8Array(64);
    const view = shared.subarray(8, 20); // part of a bigger buffer (e.g. Node's Buffer pool)
    const analysis: FileAnalysis = {
      kind: 'analysed',
      source: '/in/a.png',
      timings: {},
      width: 2,
      height: 2,
      textRegions: 0,
      candidates: [
        { characterBox: { x: 0, y: 0, width: 1, height: 1 }, tooSmall: 'too small' },
        {
          characterBox: { x: 0, y: 0, width: 2, height: 2 },
          cropBox: { x: 0, y: 0, width: 2, height: 2 },
          crop: { width: 2, height: 2, data: crop },
          thumbnail,
          dhash: '0',
          square: { width: 2, height: 2, data: view },
        },
      ],
      segmenter: 'classic',
      bubbleLikeParts: 0,
    };
    const buffers = transferableBuffers(analysis);
    expect(buffers).toContain(crop.buffer);
    expect(buffers).toContain(thumbnail.buffer);
    expect(buffers).not.toContain(shared.buffer);
    expect(transferableBuffers({ kind: 'failed', entry: {} as never })).toEqual([]);
  });
});

describe('workersWarning', () => {
  const GiB = 1024 ** 3;
  it('warns (once, one line) when --workers N outnumbers the cores, naming them', () => {
    expect(workersWarning(64, 12, 2, 16 * GiB)).toBe(
      '--workers 64: 12 analysis threads, but this machine has 2 cores; such a run is usually slower, not faster (--workers auto picks for this machine)',
    );
  });
  it('warns when the threads need more memory than is free, naming both', () => {
    // decimal units, true to their labels (before: GiB labelled "GB": "3.2 GB (~0.4 GB each) and 2.0 GB is free")
    expect(workersWarning(8, 8, 16, 2 * GiB)).toContain(
      'they need about 3.4 GB (~429 MB each) and 2.1 GB is free',
    );
  });
  it('says nothing for auto, one thread, or N that fits', () => {
    expect(workersWarning('auto', 4, 2, GiB)).toBeUndefined();
    expect(workersWarning(1, 1, 1, 0)).toBeUndefined();
    expect(workersWarning(2, 2, 2, 16 * GiB)).toBeUndefined();
  });
});
