import type { Clock } from '../clock';
import type { DoneReason, StreamEvent } from '../contracts/chat-stream';
import type { Citation, MessageError, RegenerateBody, SendMessageBody } from '../contracts/conversations';
import type { JobDefinition, JobPayload } from '../contracts/jobs';
import { conversationStore, type MessageRow } from '../conversations/store';
import type { Db } from '../db/db';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import type { Metering, ReplyModel } from '../billing/metering';
import type {
  ChatUpstream,
  UpstreamEvent,
  UpstreamMessage,
  UpstreamRequest,
  UpstreamUsage,
} from '../llm/upstream';
import { imageTokens } from '../images/tokens';
import type { ImageService } from '../images/service';
import type { ModelService } from '../models/service';
import type { JobQueue } from '../storage/jobs';
import { channel } from './channel';
import { liveReplies } from './live-replies';
import { withSources, type Passage, type Retrieve } from '../documents/retrieval';
import { imagesForReply } from './images';
import { buildPrompt, type PromptImage } from './prompt';
import { chatStore, type PathTurn, type ReplyContext, type ReplyStatus } from './store';
import { countMessageTokens, countTokens, MESSAGE_OVERHEAD_TOKENS } from './tokens';

export interface ChatTimings {
  /** How often the partial reply is written to the database. */
  flushMs: number;
  /** How often an unchanged live reply's row is refreshed anyway (proof of life for the reaper). */
  refreshMs: number;
  /** How often the stream checks whether someone asked it to stop. */
  stopPollMs: number;
  /** Azure ends HTTP responses at 230 s; we end cleanly before. */
  deadlineMs: number;
  /** An upstream silent this long fails the reply. */
  idleMs: number;
  /** A streaming reply whose row nobody refreshed for this long is dead (its instance crashed). */
  abandonedAfterMs: number;
  /** How often a resumed stream of a reply streaming on another instance reads its row. */
  resumePollMs: number;
}

export const defaultTimings = (c: { deadlineSeconds: number; idleSeconds: number }): ChatTimings => ({
  flushMs: 1000,
  refreshMs: 5000,
  stopPollMs: 250,
  deadlineMs: c.deadlineSeconds * 1000,
  idleMs: c.idleSeconds * 1000,
  abandonedAfterMs: 60_000,
  resumePollMs: 500,
});

/** What a finished reply tells the work declared to follow it. */
export interface FinishedReply {
  userId: string;
  conversationId: string;
  questionId: string;
  replyId: string;
  status: ReplyStatus;
  content: string;
  /** The conversation had no title when the reply started. */
  untitled: boolean;
  incognito: boolean;
}

/** Work after a reply, declared beside its job: `payload` says whether (and what) to enqueue. */
export interface AfterReplyJob<J extends JobDefinition = JobDefinition> {
  job: J;
  payload(reply: FinishedReply): JobPayload<J> | null;
}
export const afterReply = <J extends JobDefinition>(
  job: J,
  payload: (reply: FinishedReply) => JobPayload<J> | null,
): AfterReplyJob => ({ job, payload });

export type ChatService = ReturnType<typeof chatService>;

/** A call through the OpenAI-compatible API, in upstream terms. */
export interface CompletionInput {
  apiKey: { id: string; spendLimitCredits: number | null };
  model: string;
  messages: UpstreamMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
}

/** The hold's prompt side: text by the tokenizer, an image of unknown size at the largest a model counts. */
function completionPromptTokens(messages: UpstreamMessage[]): number {
  let total = 0;
  for (const m of messages) {
    if (typeof m.content === 'string') total += countMessageTokens(m.content);
    else {
      total += MESSAGE_OVERHEAD_TOKENS;
      for (const p of m.content) total += p.type === 'text' ? countTokens(p.text) : imageTokens(2048, 2048);
    }
  }
  return total;
}

const turnsForPrompt = (path: PathTurn[], images: Map<string, PromptImage> = new Map()) =>
  path
    .filter(
      (t) => t.content !== '' && (t.role === 'user' || t.status === 'complete' || t.status === 'stopped'),
    )
    .map((t) => ({
      role: t.role,
      content: t.content,
      images: (t.imageIds ?? []).flatMap((id) => images.get(id) ?? []),
    }));

export function chatService(deps: {
  db: Db;
  clock: Clock;
  upstream: ChatUpstream;
  models: ModelService;
  metering: Metering;
  jobs: JobQueue;
  /** The images messages carry; absent, a message with images is refused. */
  images?: ImageService;
  afterReply: AfterReplyJob[];
  systemPrompt: string;
  defaultMaxTokens: number;
  timings: ChatTimings;
  /** Passages of the user's documents for a question; absent when documents are not wired. */
  retrieve?: Retrieve;
  /** What the assistant remembers about the user that bears on a question; absent when memory is off. */
  recall?: (userId: string, question: string) => Promise<string | null>;
  log?: (msg: string, err?: unknown) => void;
}) {
  const { db, clock, timings } = deps;
  const log = deps.log ?? (() => undefined);
  const live = liveReplies({
    db,
    clock,
    stopPollMs: timings.stopPollMs,
    flushMs: timings.flushMs,
    refreshMs: timings.refreshMs,
    idleMs: timings.idleMs,
    deadlineMs: timings.deadlineMs,
    log,
  });

  /**
   * Everything that can refuse the reply happens before this returns: an error thrown here is an
   * ordinary HTTP error and leaves no trace (no message, no hold, no branch). After it returns,
   * the events always end with `done` or `error`, and the reply is kept.
   */
  async function begin(b: {
    userId: string;
    ctx: ReplyContext;
    /** The new user message; absent when regenerating. */
    question?: { content: string; imageIds: string[] };
    /** The message the reply answers, when regenerating. */
    existingQuestion?: PathTurn;
    history: PathTurn[];
    modelId: string;
    maxTokens?: number;
    temperature?: number;
    documentIds?: string[];
  }): Promise<AsyncIterable<StreamEvent>> {
    const c = b.ctx.conversation;
    const model = await deps.models.require(b.modelId);
    const requested = Math.min(
      b.maxTokens ?? c.max_tokens ?? deps.defaultMaxTokens,
      Math.max(1, Math.floor(model.contextLength / 2)),
    );
    const questionText = b.question?.content ?? b.existingQuestion?.content ?? '';
    const [pictures, passages, remembered] = await Promise.all([
      imagesForReply(deps.images, {
        userId: b.userId,
        model,
        question: b.question
          ? { ids: b.question.imageIds, fresh: true }
          : { ids: b.existingQuestion?.imageIds ?? [], fresh: false },
        history: b.history,
      }),
      findPassages(b.userId, b.ctx, b.history, questionText, b.documentIds),
      recallMemories(b.userId, b.ctx, questionText),
    ]);
    const system = c.system_prompt ?? deps.systemPrompt;
    const prompt = buildPrompt({
      system: withSources(remembered ? `${system}\n\n${remembered}` : system, passages),
      history: turnsForPrompt(b.history, pictures.history),
      message: questionText,
      messageImages: pictures.question,
      contextLength: model.contextLength,
      maxTokens: requested,
    });

    const now = clock.now();
    const ids = {
      question: b.question ? newId(now.getTime()) : b.existingQuestion!.id,
      reply: newId(now.getTime() + 1),
      generation: newId(),
    };
    const start = {
      question: b.question && {
        id: ids.question,
        parentId: b.ctx.anchorId,
        content: b.question.content,
        imageIds: pictures.questionIds,
      },
      replyId: ids.reply,
      replyParentId: ids.question,
      generationId: ids.generation,
      conversationId: c.id,
      userId: b.userId,
      model: model.id,
      promptTokens: prompt.promptTokens,
      citations: passages.map(({ text: _text, ...citation }) => citation),
      at: now,
    };
    const wanted = { userId: b.userId, model, promptTokens: prompt.promptTokens, maxTokens: requested };
    // Decided on the facts the context read; taken in one statement if they still hold (the
    // usual case: one round trip before the upstream call instead of a locked transaction of six).
    const plan = deps.metering.plan(wanted, b.ctx.limits);
    const reserved = (await chatStore(db).startReply({
      ...start,
      held: { version: b.ctx.limits.version, ...plan },
    }))
      ? plan
      : // Another reply of this user started or ended meanwhile: decide again under the lock.
        await db.tx(async (tx) => {
          await chatStore(tx).startReply(start);
          const r = await deps.metering.reserve(tx, { ...wanted, generationId: ids.generation });
          await chatStore(tx).setReplyLimit(ids.generation, ids.reply, r.maxTokens);
          return r;
        });

    return launch({
      userId: b.userId,
      model,
      promptTokens: prompt.promptTokens,
      reserved,
      ids,
      request: {
        model: model.id,
        messages: prompt.messages,
        maxTokens: reserved.maxTokens,
        temperature: b.temperature ?? c.temperature ?? undefined,
      },
      conversation: { id: c.id, untitled: c.title === null, incognito: c.incognito },
      parentId: b.question ? b.ctx.anchorId : undefined,
      citations: passages.map(({ text: _text, ...citation }) => citation),
      // Refused before the first byte: as if the message had never been sent.
      undo: (tx) =>
        chatStore(tx).undoReply({
          userId: b.userId,
          conversationId: c.id,
          messageIds: b.question ? [ids.question, ids.reply] : [ids.reply],
          activeMessageId: c.active_message_id,
        }),
    });
  }

  /**
   * The part of every reply after its hold is taken: the upstream call (a refusal undoes the
   * reply and gives the hold back), then the events, relayed to the end whatever the client does.
   */
  async function launch(l: {
    userId: string;
    model: ReplyModel;
    promptTokens: number;
    reserved: { maxTokens: number; capped: boolean };
    ids: { question: string | null; reply: string | null; generation: string };
    request: UpstreamRequest;
    /** Absent for a call through the API, which has no conversation (and no jobs after it). */
    conversation?: { id: string; untitled: boolean; incognito: boolean };
    parentId?: string | null;
    citations: Citation[];
    undo: (tx: Db) => Promise<unknown>;
  }): Promise<AsyncIterable<StreamEvent>> {
    const controller = new AbortController();
    let events: AsyncIterable<UpstreamEvent>;
    try {
      events = await deps.upstream.stream(l.request, controller.signal);
    } catch (err) {
      await db.tx(async (tx) => {
        await deps.metering.release(tx, { userId: l.userId, generationId: l.ids.generation });
        await l.undo(tx);
      });
      throw err;
    }

    const out = channel<StreamEvent>();
    out.push({
      event: 'start',
      data: {
        userMessageId: l.ids.question ?? '',
        messageId: l.ids.reply ?? l.ids.generation,
        model: l.model.id,
        maxTokens: l.reserved.maxTokens,
        parentId: l.parentId,
      },
    });
    if (l.citations.length) out.push({ event: 'citations', data: { citations: l.citations } });
    void relay({
      userId: l.userId,
      conversation: l.conversation,
      model: l.model,
      promptTokens: l.promptTokens,
      maxTokens: l.reserved.maxTokens,
      capped: l.reserved.capped,
      ids: l.ids,
      events,
      controller,
      emit: (e) => out.push(e),
    })
      .catch((err) => {
        log('chat relay failed', err);
        out.push({
          event: 'error',
          data: { code: 'internal', message: 'The reply could not be saved. Try again.' },
        });
      })
      .finally(() => out.close());
    return out.iterable;
  }

  /**
   * The document passages for a question: only for users with ready documents (or a message
   * that names some). A short follow-up ("and on page 3?") is searched with the question before
   * it. A retrieval that fails costs the reply its sources, not the reply.
   */
  async function findPassages(
    userId: string,
    ctx: ReplyContext,
    history: PathTurn[],
    question: string,
    documentIds: string[] | undefined,
  ): Promise<Passage[]> {
    if (!deps.retrieve || !(ctx.hasDocuments || documentIds?.length)) return [];
    const previous = [...history].reverse().find((t) => t.role === 'user')?.content;
    const text = previous && question.split(/\s+/).length < 12 ? `${previous}\n${question}` : question;
    try {
      return await deps.retrieve(userId, { text: text.slice(0, 4000), documentIds });
    } catch (err) {
      log('retrieval failed', err);
      return [];
    }
  }

  /**
   * The memory block for a question: only for users with memories and memory on, never in an
   * incognito conversation. A recall that fails costs the reply its memories, not the reply.
   */
  async function recallMemories(userId: string, ctx: ReplyContext, question: string): Promise<string | null> {
    if (!deps.recall || !ctx.hasMemories || ctx.conversation.incognito || !question) return null;
    try {
      return await deps.recall(userId, question);
    } catch (err) {
      log('memory recall failed', err);
      return null;
    }
  }

  async function relay(r: {
    userId: string;
    conversation: { id: string; untitled: boolean; incognito: boolean } | undefined;
    model: ReplyModel;
    promptTokens: number;
    maxTokens: number;
    capped: boolean;
    ids: { question: string | null; reply: string | null; generation: string };
    events: AsyncIterable<UpstreamEvent>;
    controller: AbortController;
    emit: (e: StreamEvent) => void;
  }): Promise<void> {
    let content = '';
    let reasoning = '';
    let usage: UpstreamUsage | undefined;
    let finish: string | undefined;
    let ended: 'user' | 'time_limit' | 'idle' | undefined;
    let failure: MessageError | null = null;

    const end = (why: typeof ended) => {
      ended ??= why;
      r.controller.abort();
    };
    // Stops, a quiet upstream and the deadline all come from the live replies' shared tick.
    live.add(r.ids.generation, r.ids.reply, end);
    const emit = (e: StreamEvent) => {
      r.emit(e);
      live.publish(r.ids.generation, e);
    };

    try {
      for await (const ev of r.events) {
        if (ev.type === 'text') {
          content += ev.text;
          emit({ event: 'delta', data: { text: ev.text } });
        } else if (ev.type === 'reasoning') {
          reasoning += ev.text;
          emit({ event: 'reasoning', data: { text: ev.text } });
        } else if (ev.type === 'usage') {
          usage = ev.usage;
        } else {
          finish = ev.reason;
        }
        live.update(r.ids.generation, content, reasoning);
      }
    } catch (err) {
      failure =
        err instanceof AppError
          ? { code: err.code, message: err.message }
          : {
              code: 'upstream_failed',
              message: 'The reply broke off unexpectedly. Retry to get a new reply.',
            };
      if (!(err instanceof AppError)) log('upstream stream failed', err);
    }
    if (ended === 'idle' && !failure) {
      failure = {
        code: 'upstream_timeout',
        message: `The model sent nothing for ${Math.round(timings.idleMs / 1000)} s, so the reply was stopped. Retry, or pick another model.`,
      };
    }
    const listeners = await live.remove(r.ids.generation);

    const stopReason = ended === 'user' || ended === 'time_limit' ? ended : undefined;
    const status: ReplyStatus = failure ? 'failed' : stopReason ? 'stopped' : 'complete';
    const finishReason: DoneReason | null =
      stopReason ?? (finish === 'length' && !failure ? (r.capped ? 'balance' : 'length') : null);
    // Without a usage chunk (a stop, a broken stream) we bill what was produced, at most the reply length.
    const billed: UpstreamUsage = usage ?? {
      promptTokens: r.promptTokens,
      completionTokens: Math.min(countTokens(content + reasoning), r.maxTokens),
    };
    // One statement ends and bills the reply; the reaper may have ended it as dead meanwhile,
    // and then it billed it and we do not (null).
    const credits = await chatStore(db).settle(
      deps.metering.settlement({
        userId: r.userId,
        generationId: r.ids.generation,
        model: r.model,
        usage: billed,
      }),
      {
        generationId: r.ids.generation,
        messageId: r.ids.reply,
        status,
        content,
        reasoning,
        error: failure,
        finishReason,
        promptTokens: billed.promptTokens,
        completionTokens: billed.completionTokens,
        costUsd: billed.costUsd ?? null,
        at: clock.now(),
      },
    );
    const last: StreamEvent[] =
      credits === null
        ? [{ event: 'error', data: { code: 'interrupted', message: INTERRUPTED } }]
        : [
            {
              event: 'usage',
              data: { promptTokens: billed.promptTokens, completionTokens: billed.completionTokens, credits },
            },
            failure
              ? { event: 'error', data: failure }
              : {
                  event: 'done',
                  data: {
                    status: stopReason ? 'stopped' : 'complete',
                    ...(finishReason ? { reason: finishReason } : {}),
                  },
                },
          ];
    if (credits !== null && r.conversation && r.ids.question && r.ids.reply) {
      await enqueueAfterReply({
        userId: r.userId,
        conversationId: r.conversation.id,
        questionId: r.ids.question,
        replyId: r.ids.reply,
        status,
        content,
        untitled: r.conversation.untitled,
        incognito: r.conversation.incognito,
      });
    }
    for (const e of last) {
      r.emit(e);
      for (const l of listeners) l(e);
    }
  }

  /**
   * Follow-up work goes to queues (nothing runs after a response ends in Azure), before the
   * reply's last event: whoever sees `done` can count on the jobs being on their queues.
   */
  async function enqueueAfterReply(finished: FinishedReply) {
    for (const a of deps.afterReply) {
      const payload = a.payload(finished);
      if (payload)
        await deps.jobs.enqueue(a.job, payload).catch((err) => log(`${a.job.name} job not queued`, err));
    }
  }

  /** The events that end a reply already finished, read back from its row. */
  function endingOf(row: MessageRow): StreamEvent[] {
    const usage: StreamEvent = {
      event: 'usage',
      data: {
        promptTokens: row.prompt_tokens ?? 0,
        completionTokens: row.completion_tokens ?? 0,
        credits: Number(row.credits ?? 0),
      },
    };
    if (row.status === 'failed') {
      return [
        usage,
        {
          event: 'error',
          data: {
            code: (row.error_code ?? 'internal') as MessageError['code'],
            message: row.error_message ?? 'The reply failed.',
          },
        },
      ];
    }
    return [
      usage,
      {
        event: 'done',
        data: {
          status: row.status === 'stopped' ? 'stopped' : 'complete',
          ...(row.finish_reason ? { reason: row.finish_reason } : {}),
        },
      },
    ];
  }

  return {
    /** A new user message and its reply, at the end of the active branch or where `parentId` says. */
    async send(
      userId: string,
      conversationId: string,
      input: SendMessageBody,
    ): Promise<AsyncIterable<StreamEvent>> {
      const ctx = await chatStore(db).replyContext(
        userId,
        conversationId,
        input.parentId === undefined ? { kind: 'active' } : { kind: 'parent', messageId: input.parentId },
        deps.metering.factWindows(clock.now()),
      );
      if (!ctx) throw notFound('Conversation');
      if (!ctx.anchorFound) {
        throw new AppError('not_found', 'The message to continue from is not in this conversation.');
      }
      if (ctx.anchorRole === 'user' && input.parentId !== undefined) {
        throw new AppError(
          'invalid_request',
          'A message follows a reply: to edit a message, send the parentId of the reply before it (null for the first message).',
        );
      }
      return begin({
        userId,
        ctx,
        question: { content: input.content, imageIds: input.imageIds ?? [] },
        history: ctx.path,
        modelId: input.model,
        maxTokens: input.maxTokens,
        temperature: input.temperature,
        documentIds: input.documentIds,
      });
    },

    /**
     * A call through the OpenAI-compatible API: the same hold, relay and settlement as a chat
     * reply, but no conversation and no messages (the caller keeps its own history).
     */
    async complete(userId: string, input: CompletionInput): Promise<AsyncIterable<StreamEvent>> {
      const model = await deps.models.require(input.model);
      const images = input.messages.reduce(
        (n, m) => n + (Array.isArray(m.content) ? m.content.filter((p) => p.type === 'image_url').length : 0),
        0,
      );
      if (images > 0 && !model.vision) {
        throw new AppError(
          'invalid_request',
          `The model "${model.id}" does not read images. Send text only, or pick a model that reads images.`,
        );
      }
      const promptTokens = completionPromptTokens(input.messages);
      const room = model.contextLength - promptTokens;
      if (room < 1 || (input.maxTokens !== undefined && input.maxTokens > room)) {
        throw new AppError(
          'invalid_request',
          `The messages take about ${promptTokens} tokens of the ${model.contextLength} in ${model.id}'s context window` +
            (input.maxTokens !== undefined
              ? `, which leaves less than the ${input.maxTokens} max_tokens asked for.`
              : '.') +
            ' Send fewer or shorter messages, or a smaller max_tokens.',
        );
      }
      const now = clock.now();
      const ids = { question: null, reply: null, generation: newId(now.getTime()) };
      const start = {
        generationId: ids.generation,
        userId,
        apiKeyId: input.apiKey.id,
        model: model.id,
        promptTokens,
        at: now,
      };
      const wanted = {
        userId,
        model,
        promptTokens,
        maxTokens: Math.min(input.maxTokens ?? deps.defaultMaxTokens, room),
      };
      // As a chat reply: decided on facts read in one statement and taken in one more if they
      // still hold (two round trips before the upstream call instead of a locked transaction of nine).
      const { facts, key } = await deps.metering.completionFacts(db, {
        userId,
        generationId: ids.generation,
        apiKey: input.apiKey,
      });
      const plan = deps.metering.plan(wanted, facts, key);
      const reserved = (await chatStore(db).startCompletion({
        ...start,
        held: { version: facts.version, ...plan },
      }))
        ? plan
        : // Another call or reply of this user started or ended meanwhile: decide again under the lock.
          await db.tx(async (tx) => {
            await chatStore(tx).startCompletion(start);
            const r = await deps.metering.reserve(tx, {
              ...wanted,
              generationId: ids.generation,
              apiKey: input.apiKey,
            });
            await chatStore(tx).setReplyLimit(ids.generation, null, r.maxTokens);
            return r;
          });
      return launch({
        userId,
        model,
        promptTokens,
        reserved,
        ids,
        request: {
          model: model.id,
          messages: input.messages,
          maxTokens: reserved.maxTokens,
          temperature: input.temperature,
          topP: input.topP,
          stop: input.stop,
        },
        citations: [],
        undo: (tx) => chatStore(tx).undoCompletion(ids.generation),
      });
    },

    /** Another reply to the question that `messageId` (a reply) answered, beside it; it becomes active. */
    async regenerate(
      userId: string,
      conversationId: string,
      messageId: string,
      input: RegenerateBody,
    ): Promise<AsyncIterable<StreamEvent>> {
      const ctx = await chatStore(db).replyContext(
        userId,
        conversationId,
        { kind: 'regenerate', messageId },
        deps.metering.factWindows(clock.now()),
      );
      if (!ctx) throw notFound('Conversation');
      const question = ctx.path.at(-1);
      if (!ctx.anchorFound || !question || question.role !== 'user') throw notFound('Reply');
      const modelId = input.model ?? ctx.conversation.model;
      if (!modelId) throw new AppError('invalid_request', 'Choose a model for the new reply.');
      return begin({
        userId,
        ctx,
        existingQuestion: question,
        history: ctx.path.slice(0, -1),
        modelId,
        maxTokens: input.maxTokens,
        temperature: input.temperature,
      });
    },

    /**
     * Continues a reply from character `from` of its text: live from this instance when it
     * streams here, else from its row as other instances flush it, else (finished) at once.
     */
    async resume(
      userId: string,
      conversationId: string,
      messageId: string,
      from: number,
    ): Promise<AsyncIterable<StreamEvent>> {
      const row = await chatStore(db).replyState(userId, conversationId, messageId);
      if (!row) throw notFound('Reply');
      const out = channel<StreamEvent>();
      out.push({
        event: 'start',
        data: {
          userMessageId: row.reply_to ?? '',
          messageId,
          model: row.model ?? '',
          maxTokens: row.max_tokens ?? 0,
        },
      });
      // The client has `from` characters; a flushed row may hold fewer, the live reply more.
      let sent = from;
      const rest = (content: string) => {
        if (content.length > sent) out.push({ event: 'delta', data: { text: content.slice(sent) } });
        sent = Math.max(sent, content.length);
      };
      if (row.status === 'streaming') {
        const joined = live.join(messageId, (e) => {
          out.push(e);
          if (e.event === 'done' || e.event === 'error') {
            joined?.leave();
            out.close();
          }
        });
        if (joined) {
          // The text that arrived after `from`, up to now; every later event comes live.
          rest(joined.content);
          return out.iterable;
        }
        void (async () => {
          const until = clock.now().getTime() + timings.deadlineMs + timings.abandonedAfterMs;
          for (;;) {
            await new Promise((resolve) => setTimeout(resolve, timings.resumePollMs));
            const now = await chatStore(db).replyState(userId, conversationId, messageId);
            if (!now || out.detached) break;
            rest(now.content);
            if (now.status !== 'streaming') {
              for (const e of endingOf(now)) out.push(e);
              break;
            }
            if (clock.now().getTime() > until) break;
          }
        })()
          .catch((err) => log('resume poll failed', err))
          .finally(() => out.close());
        return out.iterable;
      }
      rest(row.content);
      for (const e of endingOf(row)) out.push(e);
      out.close();
      return out.iterable;
    },

    /** Asks the running reply (on whichever instance streams it) to stop. */
    async stop(userId: string, conversationId: string): Promise<{ stopping: number }> {
      if (!(await conversationStore(db).get(userId, conversationId))) throw notFound('Conversation');
      return { stopping: await chatStore(db).requestStop(userId, conversationId) };
    },

    /**
     * Replies whose instance died mid-stream (no refresh for `abandonedAfterMs`): failed, billed
     * for what was streamed (at most their reply length), their hold released. Returns how many.
     */
    async reapAbandoned(): Promise<number> {
      const now = clock.now();
      const dead = await chatStore(db).abandoned(new Date(now.getTime() - timings.abandonedAfterMs), 100);
      let reaped = 0;
      for (const g of dead) {
        const model = await deps.models.find(g.model);
        const usage: UpstreamUsage = {
          promptTokens: g.prompt_tokens,
          completionTokens: Math.min(countTokens(g.content + (g.reasoning ?? '')), g.max_tokens),
        };
        const end = {
          generationId: g.id,
          messageId: g.message_id,
          status: 'failed' as const,
          content: g.content,
          reasoning: g.reasoning ?? '',
          error: { code: 'interrupted' as const, message: INTERRUPTED },
          finishReason: null,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
          costUsd: null,
          at: clock.now(),
        };
        // Ended and billed in one statement, unless the relay ended it meanwhile; a model that
        // left the catalogue cannot be priced, so its hold is only released.
        const done = model
          ? (await chatStore(db).settle(
              deps.metering.settlement({ userId: g.user_id, generationId: g.id, model, usage }),
              end,
            )) !== null
          : await db.tx(async (tx) => {
              if (!(await chatStore(tx).lockStreaming(g.id))) return false;
              await deps.metering.release(tx, { userId: g.user_id, generationId: g.id });
              return (await chatStore(tx).settle(null, end)) !== null;
            });
        if (done) reaped++;
      }
      return reaped;
    },

    /** Replies streaming on this instance (the benchmark and shutdown look at it). */
    liveCount: () => live.size(),
  };
}

const INTERRUPTED =
  'The reply was interrupted because the server restarted; what arrived is kept. Retry to get a full reply.';
