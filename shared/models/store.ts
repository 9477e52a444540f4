import type { Db } from '../db/db';
import type { CatalogueModel } from './catalogue';

interface ModelRow {
  id: string;
  name: string;
  context_length: number;
  prompt_price: string;
  completion_price: string;
  vision: boolean;
  reasoning: boolean;
  supported_parameters: string[];
}

const fromRow = (r: ModelRow): CatalogueModel => ({
  id: r.id,
  name: r.name,
  contextLength: r.context_length,
  promptPrice: r.prompt_price,
  completionPrice: r.completion_price,
  vision: r.vision,
  reasoning: r.reasoning,
  supportedParameters: r.supported_parameters,
});

export const modelStore = (db: Db) => ({
  count: async () => (await db.one<{ n: number }>(`SELECT count(*)::bigint AS n FROM models`)).n,
  lastRefreshedAt: async () =>
    (await db.one<{ at: Date | null }>(`SELECT max(refreshed_at) AS at FROM models`)).at,
  all: async () => (await db.many<ModelRow>(`SELECT * FROM models ORDER BY name, id`)).map(fromRow),
  /** Makes the table exactly `models`, in one transaction: readers see the old list or the new. */
  replaceAll: (models: CatalogueModel[], at: Date) =>
    db.tx(async (tx) => {
      await tx.exec(
        `INSERT INTO models (id, name, context_length, prompt_price, completion_price, vision, reasoning,
                             supported_parameters, refreshed_at)
         SELECT id, name, cl, pp, cp, v, r, COALESCE(string_to_array(NULLIF(sp, ''), ','), '{}'), $9::timestamptz
           FROM unnest($1::text[], $2::text[], $3::int[], $4::numeric[], $5::numeric[], $6::bool[],
                       $7::bool[], $8::text[]) AS t(id, name, cl, pp, cp, v, r, sp)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, context_length = EXCLUDED.context_length,
           prompt_price = EXCLUDED.prompt_price, completion_price = EXCLUDED.completion_price,
           vision = EXCLUDED.vision, reasoning = EXCLUDED.reasoning,
           supported_parameters = EXCLUDED.supported_parameters, refreshed_at = EXCLUDED.refreshed_at`,
        [
          models.map((m) => m.id),
          models.map((m) => m.name),
          models.map((m) => m.contextLength),
          models.map((m) => m.promptPrice),
          models.map((m) => m.completionPrice),
          models.map((m) => m.vision),
          models.map((m) => m.reasoning),
          // A text[][] cannot be ragged, so parameters travel as one comma-joined string each.
          models.map((m) => m.supportedParameters.join(',')),
          at,
        ],
      );
      return tx.exec(`DELETE FROM models WHERE NOT (id = ANY($1::text[]))`, [models.map((m) => m.id)]);
    }),
});
