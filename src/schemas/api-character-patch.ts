// src/schemas/api-character-patch.ts — PATCH /api/characters/:id: a new display name, trigger or class word (any of
// them, at least one), each under a new character's rules. A changed trigger or class word is for the dataset
// versions built from then on: those built before keep their captions, and the LoRAs trained on them their word.
import { z } from 'zod';
import { characterCreateSchema } from './api-characters.js';

const { name, trigger, classWord } = characterCreateSchema.shape;

export const characterPatchSchema = z
  .object({
    name: name.optional(),
    // without the create's defaults: a patch that leaves a word out keeps it
    trigger: trigger.unwrap().optional(),
    classWord: classWord.unwrap().optional(),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    error: 'give name, trigger or classWord (at least one)',
  });

export type CharacterPatch = z.infer<typeof characterPatchSchema>;
