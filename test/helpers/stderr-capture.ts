// test/helpers/stderr-capture.ts — what a piece of server work writes on stderr (a server without --log writes its
// lines for whoever runs it there: `toonlora serve: …`), kept from the test's output.
import { vi } from 'vitest';

/** Runs `work` with stderr captured: its result and the chunks written meanwhile. */
export async function withStderrCaptured<T>(
  work: () => Promise<T>,
): Promise<{ result: T; written: string[] }> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    return { result: await work(), written };
  } finally {
    spy.mockRestore();
  }
}
