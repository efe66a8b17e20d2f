// test/helpers/busy-answer.ts — the server's "busy" refusal (429 TL_ERR_BUSY) as a browser test's page.route answers
// it: a refusal that is not the token's (the app's token prompt takes those), so the web app shows it as a banner.

/** The refusal's words, as the banner shows them. */
export const BUSY = 'the server is busy, try again in a minute';

/** The refusal, for route.fulfill. */
export const busyAnswer = {
  status: 429,
  contentType: 'application/json',
  body: JSON.stringify({ error: { code: 'TL_ERR_BUSY', message: BUSY } }),
};
