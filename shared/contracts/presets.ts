import { z } from 'zod';
import { maxTokens, modelId, systemPrompt, temperature } from './conversations';

export const MAX_PRESET_NAME_CHARS = 80;
/** Presets one account may keep; beyond it a new one is refused until one is deleted. */
export const MAX_PRESETS = 100;

/** A named set of conversation settings a new chat starts from (`POST /api/conversations {presetId}`). */
export const preset = z.object({
  id: z.string(),
  name: z.string(),
  model: z.string(),
  systemPrompt: z.string().nullable(),
  temperature: z.number().nullable(),
  maxTokens: z.number().int().nullable(),
  createdAt: z.string(),
});
export type Preset = z.infer<typeof preset>;

const name = z
  .string()
  .trim()
  .min(1, 'Give the preset a name.')
  .max(MAX_PRESET_NAME_CHARS, `Keep the preset name to ${MAX_PRESET_NAME_CHARS} characters or fewer.`);
const model = modelId;

/** null (or absent) leaves a setting to the conversation's default. */
export const createPresetBody = z
  .object({
    name,
    model,
    systemPrompt: systemPrompt.nullable().optional(),
    temperature: temperature.nullable().optional(),
    maxTokens: maxTokens.nullable().optional(),
  })
  .strict();
export type CreatePresetBody = z.infer<typeof createPresetBody>;

/** Any of the fields; null clears a setting back to the default. */
export const updatePresetBody = createPresetBody
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change.');
export type UpdatePresetBody = z.infer<typeof updatePresetBody>;

export const presetResponse = z.object({ preset });
export const presetsResponse = z.object({ presets: z.array(preset) });
export type PresetsResponse = z.infer<typeof presetsResponse>;
