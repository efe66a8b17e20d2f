// Tests of the torch build decision and the requirements stamp (pure).
import { describe, expect, it } from 'vitest';
import {
  buildStamp,
  chooseTorchInstall,
  PYTORCH_CPU_INDEX,
  readTorchPin,
  sha256Hex,
  staleReason,
  torchVersionMatches,
} from './torch-choice.js';

const linuxCpu = { platform: 'linux', hasNvidiaGpu: false };

describe('readTorchPin', () => {
  it('reads the pinned version and ignores comments', () => {
    expect(readTorchPin('# torch is first\ntorch==2.13.0  # pinned\ndiffusers==0.42.1\n')).toBe('2.13.0');
  });
  it('names the file when there is no pin', () => {
    expect(() => readTorchPin('torch>=2\n')).toThrow(
      'trainer/requirements.txt: expected a pinned "torch==<version>" line, found none.',
    );
  });
});

describe('chooseTorchInstall', () => {
  it('uses an explicit index from TOONLORA_TORCH_INDEX_URL first', () => {
    const choice = chooseTorchInstall('2.13.0', {
      ...linuxCpu,
      hasNvidiaGpu: true,
      torchIndexUrl: PYTORCH_CPU_INDEX,
    });
    expect(choice.spec).toBe('torch==2.13.0');
    expect(choice.pipArgs).toEqual(['--index-url', PYTORCH_CPU_INDEX]);
  });
  it("takes PyPI's CUDA build with an NVIDIA GPU", () => {
    const choice = chooseTorchInstall('2.13.0', { platform: 'linux', hasNvidiaGpu: true });
    expect(choice.pipArgs).toEqual([]);
    expect(choice.reason).toMatch(/NVIDIA GPU/);
    expect(choice.note).toBeUndefined();
  });
  it('takes the default build on macOS (MPS)', () => {
    expect(chooseTorchInstall('2.13.0', { platform: 'darwin', hasNvidiaGpu: false }).reason).toMatch(/MPS/);
  });
  it('on a CPU-only Linux machine uses pip as configured and says how to get the CPU-only wheel', () => {
    const choice = chooseTorchInstall('2.13.0', { ...linuxCpu, torchIndexUrl: '  ' });
    expect(choice.pipArgs).toEqual([]);
    expect(choice.note).toBe(
      `for the smaller CPU-only build set TOONLORA_TORCH_INDEX_URL=${PYTORCH_CPU_INDEX}`,
    );
  });
});

describe('torchVersionMatches', () => {
  it('ignores the local build label as PEP 440 does', () => {
    expect(torchVersionMatches('2.13.0+cpu', '2.13.0')).toBe(true);
    expect(torchVersionMatches('2.13.0', '2.13.0')).toBe(true);
    expect(torchVersionMatches('2.12.1+cu126', '2.13.0')).toBe(false);
    expect(torchVersionMatches(undefined, '2.13.0')).toBe(false);
  });
});

describe('requirements stamp', () => {
  const req = { name: 'requirements.txt', content: 'torch==2.13.0\n' };
  const dev = { name: 'requirements-dev.txt', content: '-r requirements.txt\npytest==9.2.0\n' };
  const torch = chooseTorchInstall('2.13.0', linuxCpu);
  const now = new Date('2026-01-01T00:00:00Z');

  it('records the sha256 of each file', () => {
    const stamp = buildStamp([req, dev], torch, '3.11.7', now);
    expect(stamp.requirements).toEqual({
      'requirements.txt': sha256Hex(req.content),
      'requirements-dev.txt': sha256Hex(dev.content),
    });
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('is current for the same files; a dev stamp also covers a runtime-only request', () => {
    const stamp = buildStamp([req, dev], torch, '3.11.7', now);
    expect(staleReason(stamp, [req, dev], torch, '3.11.7')).toBeUndefined();
    expect(staleReason(stamp, [req], torch, '3.11.7')).toBeUndefined();
  });

  it('is stale when a file changes, dev is new, Python or the torch choice changes', () => {
    const runtimeOnly = buildStamp([req], torch, '3.11.7', now);
    expect(staleReason(undefined, [req], torch, '3.11.7')).toBe('no install stamp yet');
    expect(staleReason(runtimeOnly, [req, dev], torch, '3.11.7')).toBe(
      'requirements-dev.txt not installed yet',
    );
    expect(staleReason(runtimeOnly, [{ ...req, content: 'torch==2.14.0\n' }], torch, '3.11.7')).toBe(
      'requirements.txt changed',
    );
    expect(staleReason(runtimeOnly, [req], torch, '3.12.1')).toBe('Python changed (3.11.7 -> 3.12.1)');
    const cpuIndex = chooseTorchInstall('2.13.0', { ...linuxCpu, torchIndexUrl: PYTORCH_CPU_INDEX });
    expect(staleReason(runtimeOnly, [req], cpuIndex, '3.11.7')).toMatch(/^torch choice changed/);
  });
});
