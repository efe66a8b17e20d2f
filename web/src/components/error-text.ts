// web/src/components/error-text.ts — the error banner's text (pure): a fetch that never reached the server
// says so, and a request the server refused names the form's field ("trigger: ..."), not the request's
// JSON path ("invalid request: body.trigger: ..."), which is the API's wording for API clients.

export const UNREACHABLE = 'Cannot reach the toonlora server (is `toonlora serve` still running?)';

/** The server's 4xx message as a page shows it: without the `invalid request:` prefix and `body.` paths. */
export function readableServerMessage(message: string): string {
  return message.replace(/^invalid request: /, '').replace(/(^|; )body\.(?:params\.)?/g, '$1');
}

/** The banner's text for anything an action threw; `status` is the HTTP status when the server answered. */
export function errorText(error: unknown, status?: number): string {
  // fetch rejects with a bare TypeError ("Failed to fetch", "Load failed") when the server is down
  const unreachable = error instanceof TypeError && /fetch|network|load failed/i.test(error.message);
  if (unreachable || status === 0) return UNREACHABLE;
  const message = error instanceof Error ? error.message : String(error);
  return status !== undefined && status >= 400 && status < 500 ? readableServerMessage(message) : message;
}
