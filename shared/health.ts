import type { Config } from './config';
import type { HealthResponse } from './contracts/health';
import type { Db } from './db/db';

export function llmBackend(config: Config): string {
  if (config.UPSTREAM_NAME) return config.UPSTREAM_NAME;
  const host = new URL(config.OPENROUTER_BASE_URL).host;
  return host === 'openrouter.ai' ? 'openrouter' : `openai-compatible (${host})`;
}

const PROBE_TIMEOUT_MS = 3000;
/** The upstream is asked at most this often; a health check every few seconds must not hammer it. */
const UPSTREAM_PROBE_TTL_MS = 30_000;

/** Names each backend in use; `ok: false` (503, `degraded`) when one does not answer. */
export function healthCheck(deps: {
  config: Config;
  db: Db;
  storage: { name: string; ping(): Promise<void> };
  embeddings: string;
  vectorStore: string;
  /** Answers when the chat upstream can be reached (its model list). */
  pingUpstream: () => Promise<void>;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  let upstream: { at: number; problem: string | null } | undefined;

  async function probe(fn: () => Promise<unknown>): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS);
        }),
      ]);
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async function upstreamProblem(): Promise<string | null> {
    if (!upstream || now() - upstream.at > UPSTREAM_PROBE_TTL_MS) {
      upstream = { at: now(), problem: await probe(deps.pingUpstream) };
    }
    return upstream.problem;
  }

  return async (): Promise<{ ok: boolean; body: HealthResponse }> => {
    const [database, storage, llm] = await Promise.all([
      probe(() => deps.db.exec('SELECT 1')),
      probe(() => deps.storage.ping()),
      upstreamProblem(),
    ]);
    const problems = [
      database && `database: ${database}`,
      storage && `storage: ${storage}`,
      llm &&
        `llm: the chat upstream at ${new URL(deps.config.OPENROUTER_BASE_URL).host} cannot be reached (${llm})`,
    ].filter((p): p is string => Boolean(p));
    return {
      ok: problems.length === 0,
      body: {
        status: problems.length === 0 ? 'ok' : 'degraded',
        checks: {
          database: deps.db.kind,
          storage: deps.storage.name,
          llm: llmBackend(deps.config),
          embeddings: deps.embeddings,
          vectorStore: deps.vectorStore,
        },
        ...(problems.length ? { problems } : {}),
      },
    };
  };
}
