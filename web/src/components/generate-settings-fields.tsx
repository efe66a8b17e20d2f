// web/src/components/generate-settings-fields.tsx — the Generate form's image settings (split out of
// pages/generate.tsx): prompt, negative prompt, LoRA weight slider, seed, steps, image count, and the weight sweep
// (SWEEP), which needs a LoRA and then fixes the slider. The page keeps the form's state and its checks; a field the
// last submit refused is marked (invalidField).
import { COUNT_FIELD, type GenerateForm, SEED_FIELD, STEPS_FIELD } from './generate-form.js';
import { invalidFieldAttributes, NumberInput } from './number-input.js';

/** The LoRA weights a sweep renders, one image each per seed. */
export const SWEEP = [0.4, 0.7, 1.0];

export function GenerateSettingsFields({
  form,
  invalidField,
  onChange,
}: {
  form: GenerateForm;
  /** The field the form error is about (aria-invalid), else null. */
  invalidField: string | null;
  onChange: (patch: Partial<GenerateForm>) => void;
}) {
  const sweeping = form.sweep && form.loraId !== '';
  return (
    <>
      <label className="wide">
        Prompt
        <textarea
          name="prompt"
          rows={3}
          value={form.prompt}
          {...invalidFieldAttributes(invalidField === 'prompt')}
          onChange={(e) => onChange({ prompt: e.target.value })}
        />
      </label>
      <label className="wide">
        Negative prompt
        <textarea
          name="negative"
          rows={2}
          value={form.negative}
          onChange={(e) => onChange({ negative: e.target.value })}
        />
      </label>
      <label>
        LoRA weight <b>{form.weight.toFixed(2)}</b>
        <input
          type="range"
          min={0}
          max={1.5}
          step={0.05}
          value={form.weight}
          disabled={sweeping}
          onChange={(e) => onChange({ weight: Number(e.target.value) })}
        />
      </label>
      <NumberInput
        name="seed"
        spec={SEED_FIELD}
        value={form.seed}
        invalid={invalidField === 'seed'}
        onChange={(seed) => onChange({ seed })}
      />
      <NumberInput
        name="steps"
        invalid={invalidField === 'steps'}
        spec={STEPS_FIELD}
        value={form.steps}
        onChange={(steps) => onChange({ steps })}
      />
      <NumberInput
        name="count"
        invalid={invalidField === 'count'}
        spec={COUNT_FIELD}
        value={form.count}
        onChange={(count) => onChange({ count })}
      />
      <label className="check">
        <input
          type="checkbox"
          checked={sweeping}
          disabled={form.loraId === ''}
          title={form.loraId === '' ? 'a sweep varies the LoRA weight: choose a LoRA first' : undefined}
          onChange={(e) => onChange({ sweep: e.target.checked })}
        />{' '}
        Weight sweep {SWEEP.join(' / ')}
      </label>
    </>
  );
}
