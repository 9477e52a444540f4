import { z } from 'zod';
import { MAX_REPLY_TOKENS, MAX_SYSTEM_PROMPT_CHARS } from './conversations';

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
const model = z.string().min(1, 'Choose a model.').max(200, 'That model id is too long.');
const systemPrompt = z
  .string()
  .max(MAX_SYSTEM_PROMPT_CHARS, `Keep the system prompt to ${MAX_SYSTEM_PROMPT_CHARS} characters or fewer.`);
const temperature = z
  .number()
  .min(0, 'Temperature goes from 0 to 2.')
  .max(2, 'Temperature goes from 0 to 2.');
const maxTokens = z
  .number()
  .int('The reply length is a whole number of tokens.')
  .min(1, 'The reply length must be at least 1 token.')
  .max(MAX_REPLY_TOKENS, `The reply length can be at most ${MAX_REPLY_TOKENS} tokens.`);

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
