// web/src/components/base-model-start.ts — the base model a fresh Train form starts on (pure): the shared
// default when the server has it, else a base that is on the server's disk (tiny at least), with the note
// that says why the form does not start on the default and how to get it.
import type { BaseModelChoice } from '../../../src/schemas/api.js';
import type { BaseModelNote } from './train-form.js';

export interface StartingBase {
  baseModel: string;
  note: BaseModelNote;
}

/**
 * What a fresh form whose base is `defaultName` starts on, given the server's bases (GET /api/base-models):
 * null when the default can run (downloaded, or a name the list does not know: the worker looks it up) or
 * when no listed base is on disk; else the first downloaded base, the default's registry models before tiny.
 */
export function startingBaseModel(
  defaultName: string,
  choices: readonly BaseModelChoice[],
): StartingBase | null {
  const wanted = choices.find((c) => c.aliases.includes(defaultName.trim()));
  if (!wanted || wanted.present) return null;
  const onDisk = choices.find((c) => c.present);
  if (!onDisk) return null;
  return {
    baseModel: onDisk.name,
    note: {
      warn: true,
      text: `The form starts on ${onDisk.name} (${onDisk.description}) because the default base, ${wanted.name}, is not downloaded on the server. To train on it, pull it on the Models page and pick it here.`,
    },
  };
}
