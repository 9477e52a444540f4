import { AppError } from '../errors';
import type { ImageService } from '../images/service';
import type { PromptImage } from './prompt';
import type { PathTurn } from './store';

/**
 * Images one upstream request carries at most, the new message's included: earlier turns' images
 * are re-sent (newest first) up to this, which keeps requests within what providers accept.
 */
export const MAX_PROMPT_IMAGES = 8;

export interface ReplyImages {
  /** The question's image ids as stored with it: the user's own, without repeats. */
  questionIds: string[];
  question: PromptImage[];
  /** Images of earlier turns that may be re-sent, by id. */
  history: Map<string, PromptImage>;
}

const NONE: ReplyImages = { questionIds: [], question: [], history: new Map() };

/**
 * The images of a reply's prompt. The question's must be the user's (else 404, as an unknown
 * id) and need a model that reads images (else 400 naming it). Earlier turns' images go only to
 * such a model; to another the conversation goes on as text.
 */
export async function imagesForReply(
  images: ImageService | undefined,
  r: {
    userId: string;
    model: { id: string; vision: boolean };
    /** `fresh`: ids sent with a new message (checked); else the stored question's (regenerate). */
    question: { ids: string[]; fresh: boolean };
    history: PathTurn[];
  },
): Promise<ReplyImages> {
  const historyIds = r.model.vision
    ? r.history.flatMap((t) => (t.role === 'user' ? (t.imageIds ?? []) : []))
    : [];
  if (r.question.ids.length === 0 && historyIds.length === 0) return NONE;
  if (!images) throw new AppError('invalid_request', 'This server does not take images.');
  const question = r.question.fresh
    ? await images.owned(r.userId, r.question.ids)
    : await images.existing(r.userId, r.question.ids);
  if (question.length && !r.model.vision) {
    throw new AppError(
      'invalid_request',
      `The model "${r.model.id}" cannot read images. Pick a model that can (the Vision filter in the model list), or send the message without them.`,
    );
  }
  const taken = new Set(question.map((i) => i.id));
  const candidates: string[] = [];
  for (const id of historyIds.reverse()) {
    if (taken.size + candidates.length >= MAX_PROMPT_IMAGES) break;
    if (!taken.has(id) && !candidates.includes(id)) candidates.push(id);
  }
  const earlier = await images.existing(r.userId, candidates);
  const urls = await images.dataUrls([...question, ...earlier]);
  const prompted = (i: { id: string; tokens: number }) => {
    const url = urls.get(i.id);
    return url ? { url, tokens: i.tokens } : null;
  };
  const sent = question.map((i) => {
    const p = prompted(i);
    if (!p) throw new AppError('not_found', 'An attached image is gone. Attach it again.');
    return p;
  });
  return {
    questionIds: question.map((i) => i.id),
    question: sent,
    history: new Map(
      earlier.flatMap((i) => {
        const p = prompted(i);
        return p ? [[i.id, p] as const] : [];
      }),
    ),
  };
}
