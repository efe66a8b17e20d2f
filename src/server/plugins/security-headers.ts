// src/server/plugins/security-headers.ts — hardening headers on every reply (the web app, the API,
// stored images, errors): no MIME sniffing, no framing by any site (clickjacking), and a Content-Security-
// Policy that lets the built web app (web/dist: one module script and one stylesheet from /assets/, images
// and EventSource from /api/, an empty `data:` favicon) run, and nothing else: no inline or foreign script.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** What the web app loads: its own files; `data:` images (index.html's `<link rel="icon" href="data:,">`). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

async function securityHeadersPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
}

export default fp(securityHeadersPlugin, { name: 'toonlora-security-headers', fastify: '5.x' });
