// src/vision/ort-telemetry.ts — keeps onnxruntime from reporting to Microsoft. onnxruntime 1.29+ ships 1DS
// telemetry on Linux and macOS (microsoft/onnxruntime#27379): on first use it writes a device id and an event
// database under ~/.cache/Microsoft/DeveloperTools/.onnxruntime, an empty /tmp/mat-debug-<pid>.log for every
// process, and uploads usage and error events. toonlora works on the user's screenshots on their machine and
// promises nothing of the kind, so it sets ORT_DISABLE_TELEMETRY=1 (read once, when onnxruntime initialises)
// unless the user set the variable themselves. Imported for this side effect before onnxruntime-node loads: first
// by the CLI entry and by onnx.ts. Only the main thread's process.env reaches the native environment, so a worker
// thread relies on its parent having imported this (both entries run on the main thread first).
if (process.env.ORT_DISABLE_TELEMETRY === undefined) process.env.ORT_DISABLE_TELEMETRY = '1';
