// web/src/components/lora-upload.tsx — the LoRA page's upload of a LoRA made elsewhere (.safetensors): the
// server checks it with inspect and stores it as one of the character's LoRAs (the Generate page lists it);
// a refusal (not an SD1.5 LoRA, too large) is said here, in the server's words.
import { useState } from 'react';
import type { Artifact } from '../../../src/schemas/api.js';
import { ApiError, uploadLora } from '../api.js';
import { errorText } from './error-text.js';

export function LoraUpload({
  characterId,
  onUploaded,
}: {
  characterId: string;
  onUploaded: (lora: Artifact) => void;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const send = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    setBusy(file.name);
    try {
      onUploaded(await uploadLora(characterId, file));
    } catch (caught) {
      setError(errorText(caught, caught instanceof ApiError ? caught.status : undefined));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="panel lora-upload">
      <h3>Upload a LoRA made elsewhere</h3>
      <label>
        SD1.5 LoRA or LoKr file (.safetensors: kohya / WebUI, diffusers or PEFT keys)
        <input
          type="file"
          accept=".safetensors"
          data-testid="lora-upload-input"
          disabled={busy !== null}
          onChange={(e) => {
            send(e.target.files?.[0]);
            e.target.value = ''; // choosing the same file again sends it again
          }}
        />
      </label>
      <p className="muted small" role="status">
        {busy ? `Uploading ${busy}…` : ''}
      </p>
      {error && (
        <p className="error" role="alert" data-testid="lora-upload-error">
          {error}
        </p>
      )}
    </div>
  );
}
