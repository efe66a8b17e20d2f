// src/models/pull-tokens.test.ts — `models pull` and Hub access (fake Hub on 127.0.0.1): the token from
// `hf auth login` or HF_TOKEN_PATH, and a refused listing named as a gated or private repo.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pullModel } from './pull.js';
import { fakeHubForFile } from './pull-testing.js';

const fake = fakeHubForFile();
const { opts } = fake;

describe('pullModel: tokens and refusals', () => {
  it('sends the token `hf auth login` wrote ($HF_HOME/token, or $HF_TOKEN_PATH) when HF_TOKEN is unset', async () => {
    mkdirSync(join(fake.root, 'hf'), { recursive: true });
    writeFileSync(join(fake.root, 'hf', 'token'), 'hf_from_file\n');
    await pullModel('wd-vit-tagger-v3', opts());
    const hub = fake.auths.filter((_, i) => !fake.requests[i]?.startsWith('/cdn/'));
    expect(hub).toEqual(['Bearer hf_from_file', 'Bearer hf_from_file']); // trimmed; never sent to another host (download.test)

    rmSync(join(fake.root, 'hf', 'hub'), { recursive: true });
    writeFileSync(join(fake.root, 'elsewhere'), 'hf_path_var');
    fake.auths = [];
    fake.requests = [];
    await pullModel('wd-vit-tagger-v3', {
      ...opts(),
      env: { ...opts().env, HF_TOKEN_PATH: join(fake.root, 'elsewhere') },
    });
    expect(fake.auths[0]).toBe('Bearer hf_path_var');

    rmSync(join(fake.root, 'hf', 'hub'), { recursive: true });
    fake.auths = [];
    await pullModel('wd-vit-tagger-v3', { ...opts(), env: { ...opts().env, HF_TOKEN: 'hf_env' } });
    expect(fake.auths[0]).toBe('Bearer hf_env'); // the variable wins over the file
  });

  it('says a refused listing is a gated or private repo and how to give a token, not "without network"', async () => {
    fake.blipListingStatus = 401;
    const error = (await pullModel('blip-base', opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    expect(error.message).toContain(
      `HTTP 401 Unauthorized: Salesforce/blip-image-captioning-base is gated or private, or the token was refused. ` +
        `Accept its terms on ${fake.endpoint}/Salesforce/blip-image-captioning-base (logged in), then set HF_TOKEN`,
    );
    expect(error.message).toContain('`hf auth login`');
    expect(error.message).not.toContain('Without network');
    fake.blipListingStatus = 404;
    const missing = (await pullModel('blip-base', opts()).catch((e: unknown) => e)) as Error;
    expect(missing.message).toContain('HTTP 404 Not Found: the file or revision is not on the Hub');
  });
});
