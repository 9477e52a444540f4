import type { Clock } from '../clock';
import type { Model } from '../contracts/models';
import type { Db } from '../db/db';
import { AppError } from '../errors';
import { creditsPerMTok } from '../billing/pricing';
import { isFree, parseCatalogue, type CatalogueModel } from './catalogue';
import { modelStore } from './store';
import snapshot from './openrouter-models.json';

const LIST_TTL_MS = 60_000;
/** OpenRouter's list changes a few times a day; older than this, the hourly timer fetches it. */
export const CATALOGUE_MAX_AGE_MS = 6 * 3600_000;

export type ModelService = ReturnType<typeof modelService>;

export function modelService(deps: {
  db: Db;
  clock: Clock;
  markup: number;
  /** Fetches OpenRouter's `/models` JSON; the caller decides the URL and the key. */
  fetchCatalogue: () => Promise<unknown>;
}) {
  const { db, clock, markup } = deps;
  // The catalogue changes a few times a day; every reply needs it. One read a minute per instance.
  let cached: { at: number; models: Model[]; byId: Map<string, CatalogueModel> } | undefined;

  async function catalogue() {
    const now = clock.now().getTime();
    if (!cached || now - cached.at > LIST_TTL_MS) {
      const rows = await modelStore(db).all();
      cached = { at: now, models: rows.map(toModel), byId: new Map(rows.map((m) => [m.id, m])) };
    }
    return cached;
  }

  function toModel(m: CatalogueModel): Model {
    return {
      id: m.id,
      name: m.name,
      contextLength: m.contextLength,
      free: isFree(m),
      vision: m.vision,
      reasoning: m.reasoning,
      pricing: {
        promptPerMTok: creditsPerMTok(Number(m.promptPrice), markup),
        completionPerMTok: creditsPerMTok(Number(m.completionPrice), markup),
      },
    };
  }

  return {
    /** A fresh install lists real models offline: the shipped snapshot fills an empty table. */
    async seedIfEmpty(): Promise<number> {
      if ((await modelStore(db).count()) > 0) return 0;
      const models = parseCatalogue(snapshot);
      // Dated as old as it may be: the first timer run after install replaces it.
      await modelStore(db).replaceAll(models, new Date(0));
      return models.length;
    },

    /** Replaces the catalogue with OpenRouter's current one; keeps the old one if that fails. */
    async refresh(): Promise<{ count: number }> {
      const models = parseCatalogue(await deps.fetchCatalogue());
      // An empty or gutted answer is more likely an outage than the end of every model.
      if (models.length === 0) throw new AppError('unavailable', 'The upstream catalogue came back empty');
      await modelStore(db).replaceAll(models, clock.now());
      cached = undefined;
      return { count: models.length };
    },

    /** Fetches only when the stored catalogue is older than CATALOGUE_MAX_AGE_MS; null when it was fresh. */
    async refreshIfStale(): Promise<{ count: number } | null> {
      const last = await modelStore(db).lastRefreshedAt();
      if (last && clock.now().getTime() - last.getTime() < CATALOGUE_MAX_AGE_MS) return null;
      return this.refresh();
    },

    async list(): Promise<Model[]> {
      return (await catalogue()).models;
    },

    /** The model a reply will use, or a 400 naming it when we do not serve it. */
    async require(id: string): Promise<CatalogueModel & { free: boolean }> {
      const m = (await catalogue()).byId.get(id);
      if (!m) {
        throw new AppError(
          'invalid_request',
          `We do not offer the model "${id.slice(0, 200)}". Pick one from the model list.`,
        );
      }
      return { ...m, free: isFree(m) };
    },

    /** The model, or null when the catalogue no longer has it (billing a reply after the fact). */
    async find(id: string): Promise<(CatalogueModel & { free: boolean }) | null> {
      const m = (await catalogue()).byId.get(id);
      return m ? { ...m, free: isFree(m) } : null;
    },
  };
}
