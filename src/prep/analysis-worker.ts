// src/prep/analysis-worker.ts — entry of one prep analysis worker thread (analysis-pool.ts starts it):
// loads OpenCV at once, opens the stages the run resolved when told (`configure`), with its share of
// the cores for onnxruntime, then analyses one file per request and posts the analysis back (image
// buffers moved, not copied). Requests run one at a time, and `close` ends the thread only once it is
// idle: onnxruntime-node aborts the process when a thread goes away under a call in flight (see
// releaseOnnxSessions).
import { type MessagePort, parentPort } from 'node:worker_threads';
import { isToonloraError } from '../errors.js';
import { loadOpenCv } from '../vision/opencv.js';
import { releaseOnnxSessions, setDefaultIntraOpThreads } from '../vision/onnx.js';
import type { AnalysisWorkerMessage, AnalysisWorkerRequest, AnalysisWorkerSpec } from './analysis-worker-client.js';
import { transferableBuffers } from './analysis-worker-client.js';
import { loadAnalysisStages } from './stage-registry.js';
import { type AnalysisStages, analyseFile } from './analyse-file.js';

if (!parentPort) throw new Error('analysis-worker.ts runs as a worker thread (see analysis-pool.ts)');
const port: MessagePort = parentPort;
const post = (message: AnalysisWorkerMessage, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

// OpenCV (~0.3 s to compile its WASM) does not depend on the run's choices: load it while the run
// is still resolving its stages.
const preload = loadOpenCv();
let spec: AnalysisWorkerSpec | undefined;
let stages: AnalysisStages | undefined;

async function configure(given: AnalysisWorkerSpec): Promise<void> {
  spec = given;
  setDefaultIntraOpThreads(given.intraOpThreads);
  try {
    await preload;
    stages = await loadAnalysisStages(given);
    post({ type: 'ready' });
  } catch (error) {
    post({ type: 'startFailed', message: error instanceof Error ? error.message : String(error) });
  }
}

async function analyse(id: number, source: string): Promise<void> {
  try {
    if (!spec || !stages) throw new Error('analysis worker: a file came before its stages opened');
    const analysis = await analyseFile(stages, spec.config, source, spec.saveStages);
    post({ type: 'analysed', id, analysis }, transferableBuffers(analysis));
  } catch (error) {
    // analyseFile throws only run-level errors (a model that stopped loading): the run stops on it
    const known = isToonloraError(error);
    post({
      type: 'error',
      id,
      code: known ? error.code : 'TL_ERR_WORKER',
      message: known ? error.text : error instanceof Error ? error.message : String(error),
      details: known ? { ...error.details } : {},
      fix: known ? error.fix : undefined,
    });
  }
}

async function close(): Promise<void> {
  await releaseOnnxSessions();
  port.close(); // nothing else keeps the thread alive: it exits
}

// one request at a time, each after the previous one (and the OpenCV load) has finished
let busy: Promise<unknown> = preload.catch(() => undefined);
port.on('message', (request: AnalysisWorkerRequest) => {
  busy = busy.then(() => {
    if (request.type === 'configure') return configure(request.spec);
    if (request.type === 'close') return close();
    return analyse(request.id, request.source);
  });
});
