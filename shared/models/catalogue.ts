import { z } from 'zod';

/** One model as OpenRouter's `GET /models` lists it (only the fields we use). */
const openRouterModel = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  context_length: z.number().int().positive().nullable().optional(),
  architecture: z
    .object({ input_modalities: z.array(z.string()).optional() })
    .partial()
    .optional(),
  pricing: z.object({ prompt: z.string(), completion: z.string() }),
  supported_parameters: z.array(z.string()).optional(),
});

export interface CatalogueModel {
  id: string;
  name: string;
  contextLength: number;
  /** US$ per token, decimal strings exactly as listed. */
  promptPrice: string;
  completionPrice: string;
  vision: boolean;
  reasoning: boolean;
  supportedParameters: string[];
}

const price = (s: string) => (/^\d+(\.\d+)?(e-?\d+)?$/i.test(s.trim()) ? Number(s) : Number.NaN);

/**
 * Turns OpenRouter's catalogue into rows we can serve. Models with a dynamic, negative or
 * unreadable price are left out: we never serve a model we cannot bill.
 */
export function parseCatalogue(json: unknown): CatalogueModel[] {
  const data = z.object({ data: z.array(z.unknown()) }).parse(json).data;
  const out: CatalogueModel[] = [];
  for (const raw of data) {
    const parsed = openRouterModel.safeParse(raw);
    if (!parsed.success) continue;
    const m = parsed.data;
    const prompt = price(m.pricing.prompt);
    const completion = price(m.pricing.completion);
    if (!(prompt >= 0 && completion >= 0) || !m.context_length) continue;
    const params = m.supported_parameters ?? [];
    out.push({
      id: m.id,
      name: m.name ?? m.id,
      contextLength: m.context_length,
      promptPrice: m.pricing.prompt.trim(),
      completionPrice: m.pricing.completion.trim(),
      vision: (m.architecture?.input_modalities ?? []).includes('image'),
      reasoning: params.includes('reasoning') || params.includes('include_reasoning'),
      supportedParameters: params,
    });
  }
  return out;
}

export const isFree = (m: Pick<CatalogueModel, 'id' | 'promptPrice' | 'completionPrice'>) =>
  m.id.endsWith(':free') || (Number(m.promptPrice) === 0 && Number(m.completionPrice) === 0);
