import { DefaultAzureCredential, getBearerTokenProvider, type TokenCredential } from '@azure/identity';
import OpenAI, { AzureOpenAI } from 'openai';
import type { Embedder } from './embedder';

/** Native vector sizes of the models people point this at; others must say theirs. */
export const knownDimensions: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
  'all-minilm': 384,
  'bge-m3': 1024,
};

/** Only these accept a smaller `dimensions` (they are trained to be truncated). */
const shortenable = (model: string) => /^text-embedding-3-/.test(model);

interface Common {
  /** The vector size. Unset: the model's, if it is one of `knownDimensions`. */
  dimensions?: number;
  /** Inputs per request (Azure OpenAI and OpenAI take up to 2048). */
  maxBatch?: number;
  timeoutMs?: number;
  /** The SDK's own retries of 429 and 5xx, with back-off. */
  maxRetries?: number;
}

/** Any server that speaks OpenAI's `/embeddings`: OpenAI itself, Ollama, LM Studio, vLLM, a fake. */
export function openAiCompatibleEmbedder(
  opts: Common & { baseURL: string; apiKey?: string; model: string; fetch?: typeof fetch },
): Embedder {
  const client = new OpenAI({
    baseURL: opts.baseURL,
    // Local servers need no key, but the SDK refuses to start without one.
    apiKey: opts.apiKey ?? 'none',
    timeout: opts.timeoutMs ?? 60_000,
    maxRetries: opts.maxRetries ?? 2,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  return embedderOver(client, 'openai-compatible', opts.model, opts.model, opts);
}

/**
 * Azure OpenAI, by key or, without one, by the app's managed identity (DefaultAzureCredential:
 * managed identity in Azure, the developer's az login locally).
 */
export function azureOpenAiEmbedder(
  opts: Common & {
    endpoint: string;
    apiKey?: string;
    deployment: string;
    apiVersion: string;
    /** The model behind the deployment, when its name does not say it (it is stored with chunks). */
    model?: string;
    /** Instead of DefaultAzureCredential (tests, or a chosen identity). */
    credential?: TokenCredential;
  },
): Embedder {
  const auth = opts.apiKey
    ? { apiKey: opts.apiKey }
    : {
        azureADTokenProvider: getBearerTokenProvider(
          opts.credential ?? new DefaultAzureCredential(),
          'https://cognitiveservices.azure.com/.default',
        ),
      };
  const client = new AzureOpenAI({
    endpoint: opts.endpoint,
    deployment: opts.deployment,
    apiVersion: opts.apiVersion,
    timeout: opts.timeoutMs ?? 60_000,
    maxRetries: opts.maxRetries ?? 2,
    ...auth,
  });
  return embedderOver(client, 'azure-openai', opts.model ?? opts.deployment, opts.deployment, opts);
}

function embedderOver(
  client: OpenAI,
  name: Embedder['name'],
  model: string,
  requestModel: string,
  opts: Common,
): Embedder {
  const native = knownDimensions[model];
  const dimensions = opts.dimensions ?? native;
  if (dimensions === undefined) {
    throw new Error(
      `Set the vector size (dimensions) of the embeddings model "${model}": it is not one we know.`,
    );
  }
  if (native !== undefined && dimensions !== native && !shortenable(model)) {
    throw new Error(
      `The embeddings model "${model}" makes ${native}-dimensional vectors, not ${dimensions}.`,
    );
  }
  // Asked for only when shortening: other servers may reject the parameter.
  const askDimensions = native !== undefined && dimensions !== native;
  const maxBatch = opts.maxBatch ?? 64;
  return {
    name,
    // A shortened vector is not comparable with a full one of the same model.
    model: askDimensions ? `${model}@${dimensions}` : model,
    dimensions,
    maxBatch,
    async embed(texts) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += maxBatch) {
        // The API rejects empty strings; a space embeds as "nothing" all the same.
        const input = texts.slice(i, i + maxBatch).map((t) => (t === '' ? ' ' : t));
        const res = await client.embeddings.create({
          model: requestModel,
          input,
          // The SDK asks for base64 by default and decodes it; floats are what every server speaks.
          encoding_format: 'float',
          ...(askDimensions ? { dimensions } : {}),
        });
        out.push(...checked(res.data, input.length, dimensions, model));
      }
      return out;
    },
  };
}

function checked(
  data: { index: number; embedding: unknown }[],
  count: number,
  dimensions: number,
  model: string,
): number[][] {
  if (!Array.isArray(data) || data.length !== count) {
    throw new Error(
      `The embeddings server answered ${Array.isArray(data) ? data.length : 'no'} vectors for ${count} texts.`,
    );
  }
  const ordered = [...data].sort((a, b) => a.index - b.index);
  return ordered.map((d, i) => {
    const v = d.embedding;
    if (d.index !== i || !Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error('The embeddings server answered something other than one list of numbers per text.');
    }
    if (v.length !== dimensions) {
      throw new Error(
        `The embeddings model "${model}" answered ${v.length}-dimensional vectors; ${dimensions} were expected.`,
      );
    }
    return v as number[];
  });
}
