// Tests of `toonlora serve` through the CLI entry: a usage error (--port, --host without a token, a short
// token, a worker timeout, a TLS flag alone or an unreadable TLS file) is reported before the web app is checked
// and rebuilt (seconds of vite for nothing).
import { describe, expect, it, vi } from 'vitest';
import { withCliTestIo } from '../cli-test-io.js';
import { runCli } from '../program.js';
import { expectSilenceFlagsRefused } from './silence-flags-testing.js';

const need = vi.hoisted(() => vi.fn(() => undefined));
vi.mock('./serve-build.js', () => ({ webBuildNeed: need, buildWebApp: vi.fn() }));

const io = withCliTestIo('toonlora-cli-serve-');

describe('toonlora serve', () => {
  it('reports a bad --port before looking at the web app', async () => {
    expect(await runCli(['serve', '--port', 'abc', '--json'])).toBe(2);
    expect(JSON.parse(io.stdout)).toMatchObject({
      error: {
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining('--port: expected an integer 0-65535, got "abc"'),
      },
    });
    expect(need).not.toHaveBeenCalled();
  });

  it('reports a bad --max-queued before looking at the web app', async () => {
    for (const value of ['0', '-3', '2.5', 'many']) {
      io.stdout = '';
      expect(await runCli(['serve', '--max-queued', value, '--json'])).toBe(2);
      expect(JSON.parse(io.stdout)).toMatchObject({
        error: {
          code: 'TL_ERR_USAGE',
          message: `--max-queued: expected an integer of 1 or more, got ${JSON.stringify(value)}. Set --max-queued 20.`,
        },
      });
    }
    expect(need).not.toHaveBeenCalled();
  });

  it('reports a bad --worker-timeout / --worker-load-timeout before looking at the web app', async () => {
    await expectSilenceFlagsRefused(io, (flag, value) => runCli(['serve', flag, value, '--json']), [
      ['--worker-timeout', '0', 300],
      ['--worker-timeout', '5m', 300],
      ['--worker-load-timeout', '-1', 900],
    ]);
    expect(need).not.toHaveBeenCalled();
  });

  it("refuses a --worker-timeout / --worker-load-timeout over setTimeout's maximum, naming the largest allowed", async () => {
    // 2147484 s is 2^31 ms and more: Node fires such a timer after 1 ms, failing every job as a silent worker
    for (const flag of ['--worker-timeout', '--worker-load-timeout']) {
      for (const value of ['99999999999', '2147484']) {
        io.stdout = '';
        expect(await runCli(['serve', flag, value, '--json'])).toBe(2);
        expect(JSON.parse(io.stdout)).toMatchObject({
          error: {
            code: 'TL_ERR_USAGE',
            message: expect.stringContaining(`${flag}: at most 2147483 seconds`),
          },
        });
      }
    }
    expect(need).not.toHaveBeenCalled();
  });

  it('refuses --tls-cert without --tls-key, and an unreadable certificate, before looking at the web app', async () => {
    expect(await runCli(['serve', '--tls-cert', 'cert.pem', '--json'])).toBe(2);
    expect(JSON.parse(io.stdout)).toMatchObject({
      error: {
        code: 'TL_ERR_USAGE',
        message: expect.stringMatching(/^--tls-cert: given without --tls-key\./),
      },
    });
    io.stdout = '';
    expect(
      await runCli(['serve', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', 'key.pem', '--json']),
    ).toBe(2);
    expect(JSON.parse(io.stdout)).toMatchObject({
      error: {
        message: expect.stringMatching(
          /^--tls-cert \/nonexistent\/cert\.pem: cannot read the file \(ENOENT: no such file or folder\)/,
        ),
      },
    });
    expect(need).not.toHaveBeenCalled();
  });

  it('refuses a TOONLORA_TOKEN shorter than 16 characters (exit 2) before looking at the web app', async () => {
    process.env.TOONLORA_TOKEN = '  sekrit-123  '; // trimmed, as serve reads it
    try {
      expect(await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--json'])).toBe(2);
    } finally {
      delete process.env.TOONLORA_TOKEN;
    }
    expect(JSON.parse(io.stdout)).toMatchObject({
      error: {
        code: 'TL_ERR_USAGE',
        message: expect.stringMatching(
          /^TOONLORA_TOKEN: 10 characters is too short\. Set a token of at least 16 characters, /,
        ),
      },
    });
    expect(need).not.toHaveBeenCalled();
  });

  it('refuses a bad TOONLORA_CPU_THREADS (exit 2) before looking at the web app, not as each job fails', async () => {
    process.env.TOONLORA_CPU_THREADS = 'four';
    try {
      expect(await runCli(['serve', '--port', '0', '--json'])).toBe(2);
    } finally {
      delete process.env.TOONLORA_CPU_THREADS;
    }
    expect(JSON.parse(io.stdout)).toMatchObject({
      error: {
        code: 'TL_ERR_CONFIG',
        message: expect.stringMatching(
          /^TOONLORA_CPU_THREADS: expected a positive whole number of CPU threads, got "four"\./,
        ),
      },
    });
    expect(need).not.toHaveBeenCalled();
  });

  it('reports a non-loopback --host without a token before looking at the web app', async () => {
    delete process.env.TOONLORA_TOKEN;
    expect(await runCli(['serve', '--host', '0.0.0.0', '--port', '0'])).toBe(2);
    expect(io.stderr).toContain('--host 0.0.0.0: listening beyond loopback needs a token');
    expect(need).not.toHaveBeenCalled();
  });
});
