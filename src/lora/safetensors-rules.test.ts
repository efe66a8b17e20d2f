import { describe, expect, it } from 'vitest';
import { parseSafetensorsBuffer } from './safetensors-format.js';

describe('safetensorsError', () => {
  it('leads with what the user can do, the finding after (a bad upload opened with a 19-digit header length)', () => {
    const bytes = new Uint8Array(64);
    new DataView(bytes.buffer).setBigUint64(0, 2334385649822622055n, true);
    expect(() => parseSafetensorsBuffer(bytes, 'notalora.safetensors')).toThrow(
      /^notalora\.safetensors: not a safetensors file, or a damaged one; re-export or re-download it \(found: header length 2334385649822622055 exceeds .*\)\.$/,
    );
  });
});
