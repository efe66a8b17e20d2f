// src/models/pull-offline.test.ts — `models pull` without network or offline (fake Hub on 127.0.0.1): one-line
// errors naming the URL, the manual path and the `hf download` command (offline too); the rembg mirror; no empty folders left.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pullModel } from './pull.js';
import { getModelEntry } from './registry.js';
import { fakeHubForFile } from './pull-testing.js';
import { closedLoopbackPort } from './loopback-testing.js';

const fake = fakeHubForFile();
const { opts } = fake;

describe('pullModel without network', () => {
  it('fails with one line naming the model, the URL and the manual path', async () => {
    const port = await closedLoopbackPort();
    const redirect: typeof fetch = (input, init) =>
      fetch(String(input).replace('https://github.com', `http://127.0.0.1:${port}`), init);
    const error = await pullModel('isnet-anime', { ...opts(), fetchImpl: redirect }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(
      'isnet-anime: cannot download https://github.com/danielgatis/rembg/releases/download/v0.0.0/isnet-anime.onnx: connect ECONNREFUSED',
    );
    expect(message).toContain(
      `place the file at ${join(fake.root, 'tl', 'models', 'isnet-anime', 'isnet-anime.onnx')}`,
    );
  });

  it("fetches rembg's release files from TOONLORA_REMBG_MIRROR when it is set", async () => {
    const env = { ...opts().env, TOONLORA_REMBG_MIRROR: `${fake.endpoint}/rembg-mirror/` };
    const error = (await pullModel('u2net', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(fake.requests).toEqual(['/rembg-mirror/u2net.onnx']);
    expect(error.message).toContain(
      `u2net: cannot download ${fake.endpoint}/rembg-mirror/u2net.onnx: HTTP 404`,
    );
  });

  it('fails a snapshot listing the same way, naming the folder to fill by hand', async () => {
    const env = { ...opts().env, HF_ENDPOINT: 'http://127.0.0.1:9' };
    const error = (await pullModel('anything-v5', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^anything-v5: cannot list http:\/\/127\.0\.0\.1:9\/api\/models\//);
    expect(error.message).toContain(`into ${join(fake.root, 'tl', 'models', 'anything-v5')}/`);
  });

  it("names the `hf download` command with the registry's filters (huggingface_hub 2 has no huggingface-cli)", async () => {
    const env = { ...opts().env, HF_ENDPOINT: 'http://127.0.0.1:9' };
    const error = (await pullModel('anything-v5', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain('huggingface-cli');
    expect(error.message).toContain(
      "run `hf download stablediffusionapi/anything-v5 --include 'model_index.json' --include 'scheduler/*'",
    );
    expect(error.message).toContain("--exclude '*.fp16.*' --exclude '*.ckpt'");
    expect(error.message).toContain('its .bin / .ckpt copies are not needed');
  });

  it('says offline mode is on under HF_HUB_OFFLINE=1, without a request', async () => {
    const env = { ...opts().env, HF_HUB_OFFLINE: '1' };
    const error = (await pullModel('anything-v5', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    expect(error.message).toMatch(
      /^anything-v5: not on disk, and Hugging Face offline mode is on \(HF_HUB_OFFLINE=1\)/,
    );
    expect(error.message).toContain('hf download stablediffusionapi/anything-v5');
    await expect(pullModel('lama', { ...opts(), env: { ...env, HF_HUB_OFFLINE: 'true' } })).rejects.toThrow(
      /offline mode is on.*Place lama_fp32\.onnx by hand at /,
    );
    // several files: the folder they go in, not the first one's path
    await expect(pullModel('wd-vit-tagger-v3', { ...opts(), env })).rejects.toThrow(
      `Place model.onnx, selected_tags.csv by hand in ${join(fake.root, 'tl', 'models', 'wd-vit-tagger-v3')}/`,
    );
    expect(fake.requests).toEqual([]);
  });

  it('names the URL of each file to fetch by hand under HF_HUB_OFFLINE=1, as the no-network failure does', async () => {
    const env = { ...opts().env, HF_HUB_OFFLINE: '1' };
    const lama = getModelEntry('lama').source as { repo: string; revision: string };
    await expect(pullModel('lama', { ...opts(), env })).rejects.toThrow(
      `(download it from ${fake.endpoint}/${lama.repo}/resolve/${lama.revision}/lama_fp32.onnx)`,
    );
    const tagger = getModelEntry('wd-vit-tagger-v3').source as { repo: string; revision: string };
    const resolve = `${fake.endpoint}/${tagger.repo}/resolve/${tagger.revision}`;
    await expect(pullModel('wd-vit-tagger-v3', { ...opts(), env })).rejects.toThrow(
      `/ (download them from ${resolve}/model.onnx, ${resolve}/selected_tags.csv)`,
    );
    expect(fake.requests).toEqual([]);
  });

  it('reports a Hugging Face cache it cannot write before the network', async () => {
    writeFileSync(join(fake.root, 'a-file'), '');
    const env = {
      ...opts().env,
      HF_HOME: join(fake.root, 'a-file', 'hf'),
      HF_ENDPOINT: 'http://127.0.0.1:9',
    };
    const error = (await pullModel('anything-v5', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_CONFIG' });
    expect(error.message).toMatch(/^cannot write to the Hugging Face cache /);
  });

  it('leaves no empty folders behind', async () => {
    const env = { ...opts().env, HF_ENDPOINT: 'http://127.0.0.1:9' };
    const offline: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    for (const id of ['lama', 'isnet-anime', 'anything-v5']) {
      await expect(pullModel(id, { ...opts(), env, fetchImpl: offline })).rejects.toMatchObject({
        code: 'TL_ERR_DOWNLOAD',
      });
    }
    expect(existsSync(join(fake.root, 'tl', 'models'))).toBe(false);
    expect(existsSync(join(fake.root, 'tl'))).toBe(false); // nor the lock's downloads/, nor the home it made
    expect(existsSync(join(fake.root, 'hf', 'hub'))).toBe(false);
  });
});
