import type { Db } from '../db/db';

export interface PresetRow {
  id: string;
  user_id: string;
  name: string;
  model: string;
  system_prompt: string | null;
  temperature: number | null;
  max_tokens: number | null;
  created_at: Date;
}

export interface PresetFields {
  name: string;
  model: string;
  systemPrompt: string | null;
  temperature: number | null;
  maxTokens: number | null;
}

/** Every query carries the owner: another user's preset matches nothing. */
export const presetStore = (db: Db) => ({
  list: (userId: string) =>
    db.many<PresetRow>(`SELECT * FROM presets WHERE user_id = $1 ORDER BY created_at, id`, [userId]),

  get: (userId: string, id: string) =>
    db.maybeOne<PresetRow>(`SELECT * FROM presets WHERE id = $1 AND user_id = $2`, [id, userId]),

  /** Inserts unless the user already has `max` presets (null then), counted in the same statement. */
  insertBelow: (max: number, p: PresetFields & { id: string; userId: string; at: Date }) =>
    db.maybeOne<PresetRow>(
      `INSERT INTO presets (id, user_id, name, model, system_prompt, temperature, max_tokens, created_at)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8
        WHERE (SELECT count(*) FROM presets WHERE user_id = $2) < $9
       RETURNING *`,
      [p.id, p.userId, p.name, p.model, p.systemPrompt, p.temperature, p.maxTokens, p.at, max],
    ),

  /**
   * Gives the starters once per account, in one statement: two first requests racing each
   * other give them once, and a starter the user deleted is not given back.
   */
  giveStarters: (userId: string, at: Date, starters: (PresetFields & { id: string })[]) =>
    db.exec(
      `WITH given AS (
         INSERT INTO preset_starters_given (user_id, given_at) VALUES ($1, $2)
         ON CONFLICT (user_id) DO NOTHING RETURNING user_id
       )
       INSERT INTO presets (id, user_id, name, model, system_prompt, temperature, max_tokens, created_at)
       SELECT s.id, g.user_id, s.name, s.model, s.system_prompt, s.temperature, s.max_tokens,
              $2::timestamptz + (s.n * interval '1 millisecond')
         FROM given g CROSS JOIN jsonb_to_recordset($3::jsonb)
              AS s(n int, id text, name text, model text, system_prompt text, temperature double precision,
                   max_tokens integer)`,
      [
        userId,
        at,
        JSON.stringify(
          starters.map((s, n) => ({
            n,
            id: s.id,
            name: s.name,
            model: s.model,
            system_prompt: s.systemPrompt,
            temperature: s.temperature,
            max_tokens: s.maxTokens,
          })),
        ),
      ],
    ),

  /** Changes only the fields given (undefined = keep; null = back to the default). */
  update: (userId: string, id: string, u: Partial<PresetFields>) =>
    db.maybeOne<PresetRow>(
      `UPDATE presets SET
         name = COALESCE($3, name),
         model = COALESCE($4, model),
         system_prompt = CASE WHEN $5::boolean THEN $6 ELSE system_prompt END,
         temperature = CASE WHEN $7::boolean THEN $8::double precision ELSE temperature END,
         max_tokens = CASE WHEN $9::boolean THEN $10::integer ELSE max_tokens END
       WHERE id = $1 AND user_id = $2 RETURNING *`,
      [
        id,
        userId,
        u.name ?? null,
        u.model ?? null,
        u.systemPrompt !== undefined,
        u.systemPrompt ?? null,
        u.temperature !== undefined,
        u.temperature ?? null,
        u.maxTokens !== undefined,
        u.maxTokens ?? null,
      ],
    ),

  delete: (userId: string, id: string) =>
    db.exec(`DELETE FROM presets WHERE id = $1 AND user_id = $2`, [id, userId]),
});
