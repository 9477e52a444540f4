import type { HealthResponse } from './contracts/health';
import type { Config } from './config';
import type { Db } from './db/db';

export function embeddingsBackend(config: Config): string {
  const provider =
    config.EMBEDDINGS_PROVIDER ??
    (config.AZURE_OPENAI_ENDPOINT && config.AZURE_OPENAI_API_KEY ? 'azure-openai' : 'local');
  return provider === 'local' ? 'local-lexical' : provider;
}

export function llmBackend(config: Config): string {
  const host = new URL(config.OPENROUTER_BASE_URL).host;
  return host === 'openrouter.ai' ? 'openrouter' : `openai-compatible (${host})`;
}

/** Names each backend in use; `ok: false` when a required one does not answer. */
export async function checkHealth(deps: {
  config: Config;
  db: Db;
  storage: { name: string; ping(): Promise<void> };
}): Promise<{ ok: boolean; body: HealthResponse }> {
  const problems: string[] = [];
  const probe = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 3000).unref()),
      ]);
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  await Promise.all([
    probe('database', () => deps.db.exec('SELECT 1')),
    probe('storage', () => deps.storage.ping()),
  ]);
  return {
    ok: problems.length === 0,
    body: {
      status: problems.length === 0 ? 'ok' : 'degraded',
      checks: {
        database: deps.db.kind,
        storage: deps.storage.name,
        llm: llmBackend(deps.config),
        embeddings: embeddingsBackend(deps.config),
      },
      ...(problems.length ? { problems } : {}),
    },
  };
}
