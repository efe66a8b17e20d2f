// Loopback listen addresses and Host headers: what counts as "this machine".
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isLoopbackHostHeader } from './loopback.js';

describe('isLoopbackHost', () => {
  it('is true for localhost, ::1 and 127.0.0.0/8 only', () => {
    for (const host of ['localhost', '::1', '127.0.0.1', '127.1.2.3'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', '127.1', 'localhost.evil.com', '']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});

describe('isLoopbackHostHeader', () => {
  it('accepts loopback names with or without a port', () => {
    for (const header of [
      'localhost',
      'localhost:7860',
      'LOCALHOST:80',
      '127.0.0.1:7860',
      '[::1]:7860',
      '[::1]',
    ]) {
      expect(isLoopbackHostHeader(header), header).toBe(true);
    }
  });

  it('refuses any other name, a missing header, and look-alikes', () => {
    for (const header of [
      undefined,
      '',
      'attacker.example:7860',
      'localhost.attacker.example',
      '127.0.0.1.nip.io:7860',
      '[::2]:7860',
      '192.168.1.20:7860',
      'localhost:7860:1',
    ]) {
      expect(isLoopbackHostHeader(header), String(header)).toBe(false);
    }
  });
});
