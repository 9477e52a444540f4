import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import { api } from '../api';
import { readPreference, writePreference } from '../storage';

let catalogue: Promise<Model[]> | undefined;

/** The catalogue changes a few times a day at most: one request per visit. */
function loadModels(): Promise<Model[]> {
  catalogue ??= api.models().then(
    (r) => r.models,
    (err: unknown) => {
      catalogue = undefined;
      throw err;
    },
  );
  return catalogue;
}

export interface ModelCatalogue {
  models: Model[];
  byId: Map<string, Model>;
  error: string | null;
  loading: boolean;
}

export function useModels(): ModelCatalogue {
  const [models, setModels] = useState<Model[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let live = true;
    loadModels().then(
      (list) => live && (setModels(list), setLoading(false)),
      (err: unknown) => live && (setError((err as Error).message), setLoading(false)),
    );
    return () => {
      live = false;
    };
  }, []);
  const byId = useMemo(() => new Map(models.map((m) => [m.id, m])), [models]);
  return { models, byId, error, loading };
}

const KEY = 'gm.model';
/** A capable free model first, so a new account with no credits can chat straight away. */
const PREFERRED_DEFAULTS = [
  'meta-llama/llama-3.3-70b-instruct:free',
  'deepseek/deepseek-chat-v3-0324:free',
  'google/gemma-3-27b-it:free',
];

export function defaultModelId(models: Model[]): string | null {
  const stored = readPreference(KEY);
  if (stored && models.some((m) => m.id === stored)) return stored;
  for (const id of PREFERRED_DEFAULTS) if (models.some((m) => m.id === id)) return id;
  return (models.find((m) => m.free) ?? models[0])?.id ?? null;
}

export function rememberModel(id: string): void {
  writePreference(KEY, id);
}
