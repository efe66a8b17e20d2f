// web/src/zod-jitless.ts — zod without its `new Function` fast path. `toonlora serve`'s Content-Security-Policy
// has no 'unsafe-eval', and zod 4 probes for eval when it builds its first object schema: the browser then
// reports a CSP violation on every load (the parse itself falls back and works). Imported first by main.tsx, so
// it runs before any module that builds a schema.
import { z } from 'zod';

z.config({ jitless: true });
