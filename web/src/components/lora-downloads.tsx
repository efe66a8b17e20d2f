// web/src/components/lora-downloads.tsx — the LoRA page's download buttons, one per format the server sends
// (GET /api/loras/:id/download?format=): the kohya file the WebUI, Forge and ComfyUI load, the same in fp16
// (half the size), diffusers' format (load_lora_weights) and a PEFT adapter folder (zip). A LoKr has no
// diffusers format, which the row says instead of offering a download that fails. A LoRA deleted elsewhere since the
// page read its list (another tab, another user) is the page's to say (onGone), not the API's "artifact … not found".
import type { LoraFormat } from '../../../src/schemas/api.js';
import { DownloadLink } from './download-link.js';
import { isGoneLoraRefusal } from './generate-lora.js';

/** Each download: its format and label, in the order shown (the first is the main button). */
export const LORA_DOWNLOADS: ReadonlyArray<{ format: LoraFormat; label: string; title: string }> = [
  {
    format: 'kohya',
    label: 'Download (WebUI / ComfyUI, kohya)',
    title: 'The .safetensors AUTOMATIC1111, Forge and ComfyUI load (models/Lora)',
  },
  {
    format: 'kohya-fp16',
    label: 'kohya fp16',
    title: 'The same kohya file in half precision: half the size, what most shared LoRAs are',
  },
  {
    format: 'diffusers',
    label: 'Download (diffusers)',
    title: "diffusers' format: pipe.load_lora_weights(file)",
  },
  {
    format: 'peft',
    label: 'PEFT adapter (.zip)',
    title:
      'A PEFT adapter folder (adapter_config.json + adapter_model.safetensors): PeftModel.from_pretrained',
  },
];

/**
 * Where a failed download check goes: to `onGone` when the server no longer has the LoRA `loraId` (its row was
 * deleted: a 404 naming it; a stored file missing on disk names none), else to `onError`.
 */
export function downloadFailureHandler(
  loraId: string,
  onError: (error: unknown) => void,
  onGone?: () => void,
): (error: unknown) => void {
  return (error) => (onGone && isGoneLoraRefusal(error, loraId) ? onGone() : onError(error));
}

export function LoraDownloads({
  loraId,
  lokr,
  onError,
  onGone,
}: {
  loraId: string;
  /** The LoRA is a LyCORIS LoKr: no diffusers format. */
  lokr: boolean;
  onError: (error: unknown) => void;
  /** The LoRA was deleted elsewhere: the page reads its list again and says so (without it: onError). */
  onGone?: () => void;
}) {
  const onFailure = downloadFailureHandler(loraId, onError, onGone);
  return (
    <>
      {LORA_DOWNLOADS.map(({ format, label, title }, index) =>
        lokr && format === 'diffusers' ? (
          <span key={format} className="muted" title="diffusers' load_lora_weights has no SD1.5 LoKr format">
            LoKr: no diffusers format (toonlora, the WebUI and ComfyUI load the kohya file)
          </span>
        ) : (
          <span key={format} title={title}>
            <DownloadLink
              className={index === 0 ? 'button' : 'button secondary'}
              href={`/api/loras/${loraId}/download?format=${format}`}
              onError={onFailure}
            >
              {label}
            </DownloadLink>
          </span>
        ),
      )}
    </>
  );
}
