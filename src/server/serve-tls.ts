// src/server/serve-tls.ts — `serve --tls-cert FILE --tls-key FILE`: reads and checks the PEM pair before the server
// starts (both or neither; each file readable and PEM of the right kind; the key belongs to the certificate), each
// error naming the flag and the file; and the warning for plain http beyond loopback.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ToonloraError } from '../errors.js';
import { errorCodeInWords } from '../fs-error-words.js';
import { isLoopbackHost } from './loopback.js';

/** A certificate (chain) and its private key, PEM, as fastify's `https` option takes them. */
export interface ServeTls {
  cert: Buffer;
  key: Buffer;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----/;
const KEY_BLOCK = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;
const MAKE_ONE =
  'For a test, make a self-signed pair: openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost -keyout key.pem -out cert.pem';

function usage(message: string, details: Record<string, unknown>): ToonloraError {
  return new ToonloraError('TL_ERR_USAGE', message, { details });
}

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw usage(
      `${flag} ${path}: cannot read the file (${errorCodeInWords(error)}). Check the path and that serve may read it.`,
      {
        flag,
        path,
      },
    );
  }
}

/**
 * The PEM text of `--tls-cert` / `--tls-key` as checked here (pure: takes the files' bytes).
 * @throws TL_ERR_USAGE naming the flag and file: a certificate file with no PEM certificate (or a private key
 *   in it: swapped flags), a key file with no PEM private key, an encrypted key, or a key that does not belong to
 *   the certificate
 */
export function checkTlsPair(cert: Buffer, key: Buffer, paths: { cert: string; key: string }): ServeTls {
  const certText = cert.toString('latin1');
  const keyText = key.toString('latin1');
  if (!CERT_BLOCK.test(certText)) {
    const swapped = KEY_BLOCK.test(certText)
      ? ' It holds a private key: are --tls-cert and --tls-key swapped?'
      : '';
    throw usage(
      `--tls-cert ${paths.cert}: not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block).${swapped} Give the server's certificate as a PEM file. ${MAKE_ONE}`,
      { flag: '--tls-cert', path: paths.cert },
    );
  }
  if (!KEY_BLOCK.test(keyText)) {
    const swapped = CERT_BLOCK.test(keyText)
      ? ' It holds a certificate: are --tls-cert and --tls-key swapped?'
      : '';
    throw usage(
      `--tls-key ${paths.key}: not a PEM private key (no "-----BEGIN PRIVATE KEY-----" block).${swapped} Give the certificate's private key as a PEM file.`,
      { flag: '--tls-key', path: paths.key },
    );
  }
  if (/ENCRYPTED/.test(keyText)) {
    throw usage(
      `--tls-key ${paths.key}: the private key is encrypted with a passphrase, which serve cannot ask for. Give an unencrypted copy (openssl pkey -in ${paths.key} -out key-plain.pem) and keep it readable by you only.`,
      { flag: '--tls-key', path: paths.key },
    );
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    const reason = (error as Error).message;
    const mismatch = /mismatch/i.test(reason);
    throw usage(
      mismatch
        ? `--tls-key ${paths.key}: does not belong to the certificate in --tls-cert ${paths.cert} (${reason}). Give the key the certificate was made with.`
        : `--tls-cert ${paths.cert} / --tls-key ${paths.key}: not a usable certificate and key (${reason}). Check both PEM files.`,
      { flag: '--tls-key', path: paths.key, reason },
    );
  }
  return { cert, key };
}

/**
 * Reads `--tls-cert` and `--tls-key`: both (the https pair) or neither (undefined: plain http).
 * @throws TL_ERR_USAGE naming the flag (and file): one without the other, a file that cannot be read, or checkTlsPair's
 */
export function readServeTls(
  certPath: string | undefined,
  keyPath: string | undefined,
): ServeTls | undefined {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) {
    const [given, missing] =
      certPath === undefined ? ['--tls-key', '--tls-cert'] : ['--tls-cert', '--tls-key'];
    throw usage(
      `${given}: given without ${missing}. Give both (the certificate and its private key, PEM files) to serve https, or neither for plain http.`,
      { flag: missing },
    );
  }
  const cert = readPem('--tls-cert', certPath);
  const key = readPem('--tls-key', keyPath);
  return checkTlsPair(cert, key, { cert: certPath, key: keyPath });
}

/**
 * What `serve` warns about a plain-http server beyond loopback (the bearer token and the session cookie then
 * cross the network readable by anyone on the path), or undefined when there is nothing to warn about.
 */
export function plainHttpWarning(host: string, tls: boolean): string | undefined {
  if (tls || isLoopbackHost(host)) return undefined;
  return (
    `toonlora serve: warning: --host ${host} without TLS: the token and the session cookie cross the network ` +
    'unencrypted. Give --tls-cert FILE --tls-key FILE (or put an https proxy in front and keep serve on loopback).\n'
  );
}
