// src/server/plugins/security-headers.ts — hardening headers on every reply (the web app, the API,
// stored images, errors): no MIME sniffing, no framing by any site (clickjacking), and a Content-Security-
// Policy that lets the built web app (web/dist: one module script and one stylesheet from /assets/, images
// and EventSource from /api/, an empty `data:` favicon) run, and nothing else: no inline or foreign script; a raster
// image opened on its own gets a stricter policy that lets the browser's image viewer style its page.
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

/**
 * For a raster image opened on its own (a full-size link): no script, no loads but the image itself; the inline
 * style the browser's own image viewer gives its page is allowed (an image cannot carry script; SVG, which can,
 * is never served: uploads are sniffed as one of the raster formats `imageFormatSchema` lists, in
 * src/schemas/api-characters.ts).
 */
export const IMAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "img-src 'self' data:",
  "style-src 'unsafe-inline'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** The policy for a reply of this Content-Type: the image one for a raster image, else the web app's. */
export function contentSecurityPolicyFor(contentType: unknown): string {
  const type = String(contentType ?? '').toLowerCase();
  return type.startsWith('image/') && !type.startsWith('image/svg')
    ? IMAGE_CONTENT_SECURITY_POLICY
    : CONTENT_SECURITY_POLICY;
}

async function securityHeadersPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers({
      ...SECURITY_HEADERS,
      'content-security-policy': contentSecurityPolicyFor(reply.getHeader('content-type')),
    });
    return payload;
  });
}

export default fp(securityHeadersPlugin, { name: 'toonlora-security-headers', fastify: '5.x' });
