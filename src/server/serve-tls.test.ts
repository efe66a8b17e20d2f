// src/server/serve-tls.test.ts — `serve --tls-cert/--tls-key`: the pair is checked before the server starts (each
// error names the flag and the file), a server given it answers https with a Secure session cookie, and plain http
// beyond loopback is warned about. The certificates are made here with openssl (node:crypto cannot make X.509).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from './server.js';
import { plainHttpWarning, readServeTls } from './serve-tls.js';

const OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const HAS_OPENSSL = OPENSSL.status === 0;
const dir = mkdtempSync(join(tmpdir(), 'toonlora-tls-'));

/** A self-signed EC certificate for localhost / 127.0.0.1 and its unencrypted key, as files in `dir`. */
function makePair(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
  return { cert, key };
}

/** One https request to `url` trusting only `ca`: status and headers. */
function httpsRequest(
  url: string,
  ca: Buffer,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const TOKEN = 'tls-test-token-0123456789';

describe('serve --tls-cert / --tls-key: checks', () => {
  it('takes both or neither, naming the missing flag', () => {
    expect(readServeTls(undefined, undefined)).toBeUndefined();
    expect(() => readServeTls('cert.pem', undefined)).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_USAGE',
        message: expect.stringMatching(/^--tls-cert: given without --tls-key\. Give both/),
      }),
    );
    expect(() => readServeTls(undefined, 'key.pem')).toThrow(/^--tls-key: given without --tls-cert\./);
  });

  it('names an unreadable file and its flag', () => {
    const missing = join(dir, 'no-such-cert.pem');
    expect(() => readServeTls(missing, missing)).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_USAGE',
        message: `--tls-cert ${missing}: cannot read the file (ENOENT: no such file or folder). Check the path and that serve may read it.`,
      }),
    );
  });

  it('refuses a file that is not PEM, naming it', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    expect(() => readServeTls(junk, junk)).toThrow(
      new RegExp(
        `^--tls-cert ${junk}: not a PEM certificate \\(no "-----BEGIN CERTIFICATE-----" block\\)\\. `,
      ),
    );
  });

  describe.skipIf(!HAS_OPENSSL)(
    HAS_OPENSSL
      ? 'with openssl-made pairs'
      : 'with openssl-made pairs: SKIPPED, no openssl on PATH (node:crypto cannot make X.509)',
    () => {
      it('refuses a key file that is not PEM, swapped flags, a key of another certificate and an encrypted key', () => {
        const one = makePair('one');
        const two = makePair('two');
        const junk = join(dir, 'junk-key.pem');
        writeFileSync(junk, 'nothing\n');
        expect(() => readServeTls(one.cert, junk)).toThrow(
          `--tls-key ${junk}: not a PEM private key (no "-----BEGIN PRIVATE KEY-----" block). Give`,
        );
        expect(() => readServeTls(one.key, one.cert)).toThrow(
          `--tls-cert ${one.key}: not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block). It holds a private key: are --tls-cert and --tls-key swapped?`,
        );
        expect(() => readServeTls(one.cert, two.key)).toThrow(
          expect.objectContaining({
            code: 'TL_ERR_USAGE',
            message: expect.stringMatching(
              new RegExp(
                `^--tls-key ${two.key}: does not belong to the certificate in --tls-cert ${one.cert} \\(.*mismatch`,
              ),
            ),
          }),
        );
        const encrypted = join(dir, 'encrypted-key.pem');
        const made = spawnSync('openssl', [
          'pkey',
          '-in',
          one.key,
          '-aes256',
          '-passout',
          'pass:secret',
          '-out',
          encrypted,
        ]);
        expect(made.status).toBe(0);
        expect(() => readServeTls(one.cert, encrypted)).toThrow(
          `--tls-key ${encrypted}: the private key is encrypted with a passphrase, which serve cannot ask for.`,
        );
      });

      it('serves https at an https URL, and marks the session cookie Secure', async () => {
        const pair = makePair('serve');
        const tls = readServeTls(pair.cert, pair.key);
        expect(tls).toBeDefined();
        const { app, url } = await startServer({
          host: '127.0.0.1',
          port: 0,
          dataDir: mkdtempSync(join(tmpdir(), 'toonlora-tls-data-')),
          token: TOKEN,
          ...(tls ? { tls } : {}),
        });
        try {
          expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
          const ca = tls?.cert as Buffer;
          const health = await httpsRequest(`${url}/api/health`, ca, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          expect(health.status).toBe(200);
          const session = await httpsRequest(`${url}/api/session`, ca, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          expect(session.status).toBe(204);
          expect(String(session.headers['set-cookie'])).toMatch(
            /^toonlora_session=[\w-]+; Path=\/api; HttpOnly; Secure; SameSite=Strict$/,
          );
        } finally {
          await app.close();
        }
      }, 60_000);
    },
  );
});

describe('plain http beyond loopback', () => {
  it('is warned about, naming --tls-cert; loopback or TLS is not', () => {
    expect(plainHttpWarning('0.0.0.0', false)).toMatch(
      /^toonlora serve: warning: --host 0\.0\.0\.0 without TLS: the token and the session cookie cross the network unencrypted\. Give --tls-cert FILE --tls-key FILE/,
    );
    expect(plainHttpWarning('0.0.0.0', true)).toBeUndefined();
    expect(plainHttpWarning('127.0.0.1', false)).toBeUndefined();
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
