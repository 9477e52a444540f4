import type { Clock } from '../clock';
import { MAX_PRESETS, type CreatePresetBody, type Preset, type UpdatePresetBody } from '../contracts/presets';
import type { Db } from '../db/db';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import { presetStore, type PresetFields, type PresetRow } from './store';

/**
 * What every account starts with (free models, so they answer on an account with no credits).
 * Each is an ordinary preset: the user may change or delete it, and a deleted one stays deleted.
 */
export const STARTER_PRESETS: readonly PresetFields[] = [
  {
    name: 'Coding',
    model: 'deepseek/deepseek-chat-v3-0324:free',
    systemPrompt:
      'You are a senior software engineer. Answer with working code first, then a short explanation. ' +
      'Name the language of every code block, point out edge cases and say which assumptions you made.',
    temperature: 0.2,
    maxTokens: 4000,
  },
  {
    name: 'Writing',
    model: 'meta-llama/llama-3.3-70b-instruct:free',
    systemPrompt:
      'You are a careful editor and writer. Keep the author’s voice, prefer plain words and short ' +
      'sentences, and when asked to edit, show the changed text and then list what you changed and why.',
    temperature: 0.8,
    maxTokens: 2000,
  },
  {
    name: 'Quick answers',
    model: 'google/gemma-3-27b-it:free',
    systemPrompt: 'Answer in one to three sentences. No preamble, no lists unless asked.',
    temperature: 0.3,
    maxTokens: 500,
  },
];

export const toPreset = (r: PresetRow): Preset => ({
  id: r.id,
  name: r.name,
  model: r.model,
  systemPrompt: r.system_prompt,
  temperature: r.temperature,
  maxTokens: r.max_tokens,
  createdAt: r.created_at.toISOString(),
});

export type PresetService = ReturnType<typeof presetService>;

export function presetService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  const store = () => presetStore(db);
  const giveStarters = (userId: string) =>
    store().giveStarters(
      userId,
      clock.now(),
      STARTER_PRESETS.map((s) => ({ ...s, id: newId() })),
    );

  return {
    /** The user's presets, oldest first; the starters arrive with the first look. */
    async list(userId: string): Promise<Preset[]> {
      await giveStarters(userId);
      return (await store().list(userId)).map(toPreset);
    },

    async create(userId: string, body: CreatePresetBody): Promise<Preset> {
      // Before the first own preset, so the starters still come first and count towards the limit.
      await giveStarters(userId);
      const row = await store().insertBelow(MAX_PRESETS, {
        id: newId(),
        userId,
        name: body.name,
        model: body.model,
        systemPrompt: body.systemPrompt ?? null,
        temperature: body.temperature ?? null,
        maxTokens: body.maxTokens ?? null,
        at: clock.now(),
      });
      if (!row) {
        throw new AppError(
          'conflict',
          `You have ${MAX_PRESETS} presets, the most one account can keep. Delete one you no longer use first.`,
        );
      }
      return toPreset(row);
    },

    async update(userId: string, id: string, body: UpdatePresetBody): Promise<Preset> {
      const row = await store().update(userId, id, body);
      if (!row) throw notFound('Preset');
      return toPreset(row);
    },

    async delete(userId: string, id: string): Promise<void> {
      if ((await store().delete(userId, id)) === 0) throw notFound('Preset');
    },

    /** The preset a new conversation copies its settings from; another user's is not found. */
    async forConversation(userId: string, id: string): Promise<Preset> {
      const row = await store().get(userId, id);
      if (!row) throw notFound('Preset');
      return toPreset(row);
    },
  };
}
