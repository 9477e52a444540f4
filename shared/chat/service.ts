import { ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import type { z } from 'zod';
import type { Clock } from '../clock';
import type { titleJob } from '../contracts/jobs';
import type { SendMessageBody } from '../contracts/conversations';
import type { StreamEvent } from '../contracts/chat-stream';
import { conversationStore } from '../conversations/store';
import type { Db } from '../db/db';
import { notFound } from '../errors';
import { newId } from '../ids';
import type { Metering, ReplyModel } from '../billing/metering';
import {
  UpstreamStreamError,
  type ChatUpstream,
  type UpstreamEvent,
  type UpstreamUsage,
} from '../llm/upstream';
import type { ModelService } from '../models/service';
import type { QueueSender } from '../storage/queues';
import { liveReplies } from './live-replies';
import { buildPrompt } from './prompt';
import { sseComment, sseEvent } from './sse';
import { chatStore, type ReplyStatus } from './store';
import { estimateTokens } from './tokens';

export const TITLE_QUEUE = 'conversation-titles';
export type TitleJob = z.infer<typeof titleJob>;

export interface ChatTimings {
  /** How often the partial reply is written to the database. */
  flushMs: number;
  /** How often the stream checks whether someone asked it to stop. */
  stopPollMs: number;
  heartbeatMs: number;
  /** Azure ends HTTP responses at 230 s; we end cleanly before. */
  deadlineMs: number;
}

export const defaultTimings = (deadlineSeconds: number): ChatTimings => ({
  flushMs: 1000,
  stopPollMs: 250,
  heartbeatMs: 15_000,
  deadlineMs: deadlineSeconds * 1000,
});

export type ChatService = ReturnType<typeof chatService>;

export function chatService(deps: {
  db: Db;
  clock: Clock;
  upstream: ChatUpstream;
  models: ModelService;
  metering: Metering;
  queues: QueueSender;
  systemPrompt: string;
  defaultMaxTokens: number;
  timings: ChatTimings;
  log?: (msg: string, err?: unknown) => void;
}) {
  const { db, clock } = deps;
  const log = deps.log ?? (() => undefined);
  const live = liveReplies({
    db,
    clock,
    stopPollMs: deps.timings.stopPollMs,
    flushMs: deps.timings.flushMs,
    log,
  });

  /**
   * Everything that can refuse the reply happens before this returns: a 4xx/5xx thrown here
   * is an ordinary HTTP error and leaves no trace. After it returns, the stream always ends
   * with `done` or `error` and the reply is kept.
   */
  async function send(
    userId: string,
    conversationId: string,
    input: SendMessageBody,
  ): Promise<ReadableStream<Uint8Array>> {
    const conversation = await chatStore(db).conversationWithHistory(userId, conversationId);
    if (!conversation) throw notFound('Conversation');
    const model = await deps.models.require(input.model);
    const maxTokens = Math.min(
      input.maxTokens ?? deps.defaultMaxTokens,
      Math.max(1, Math.floor(model.contextLength / 2)),
    );
    const prompt = buildPrompt({
      system: deps.systemPrompt,
      history: conversation.history,
      message: input.content,
      contextLength: model.contextLength,
      maxTokens,
    });

    const now = clock.now();
    const ids = { user: newId(now.getTime()), reply: newId(now.getTime() + 1), generation: newId() };
    await db.tx(async (tx) => {
      await chatStore(tx).startReply({
        userMessageId: ids.user,
        replyId: ids.reply,
        generationId: ids.generation,
        conversationId,
        userId,
        content: input.content,
        imageIds: input.imageIds ?? [],
        model: model.id,
        at: now,
      });
      await deps.metering.reserve(tx, {
        userId,
        generationId: ids.generation,
        model,
        promptTokens: prompt.promptTokens,
        maxTokens,
      });
    });

    const controller = new AbortController();
    let events: AsyncIterable<UpstreamEvent>;
    try {
      events = await deps.upstream.stream(
        { model: model.id, messages: prompt.messages, maxTokens },
        controller.signal,
      );
    } catch (err) {
      // Refused before the first byte: as if the message had never been sent.
      await db.tx(async (tx) => {
        await deps.metering.release(tx, { userId, generationId: ids.generation });
        await chatStore(tx).deleteMessages(userId, [ids.user, ids.reply]);
      });
      throw err;
    }

    // A web stream goes to the response as is; a Node stream would be wrapped in one per chunk.
    const encoder = new TextEncoder();
    let sink!: ReadableStreamDefaultController<Uint8Array>;
    let open = true;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        sink = controller;
      },
      // The client went away; the reply still runs to the end and is kept for the next reload.
      cancel: () => {
        open = false;
      },
    });
    const write = (chunk: string) => {
      if (open) sink.enqueue(encoder.encode(chunk));
    };
    write(
      sseEvent({ event: 'start', data: { userMessageId: ids.user, messageId: ids.reply, model: model.id } }),
    );
    void relay({
      userId,
      conversationId,
      untitled: conversation.title === null,
      model,
      promptTokens: prompt.promptTokens,
      ids,
      events,
      controller,
      write,
    })
      .catch((err) => {
        log('chat relay failed', err);
        write(
          sseEvent({ event: 'error', data: { code: 'internal', message: 'The reply could not be saved' } }),
        );
      })
      .finally(() => {
        if (open) sink.close();
        open = false;
      });
    return body;
  }

  async function relay(r: {
    userId: string;
    conversationId: string;
    untitled: boolean;
    model: ReplyModel;
    promptTokens: number;
    ids: { user: string; reply: string; generation: string };
    events: AsyncIterable<UpstreamEvent>;
    controller: AbortController;
    write: (chunk: string) => void;
  }): Promise<void> {
    const { timings } = deps;
    let content = '';
    let reasoning = '';
    let usage: UpstreamUsage | undefined;
    let stopReason: 'user' | 'time_limit' | undefined;
    let failure: { code: string; message: string } | null = null;

    live.add(r.ids.generation, r.ids.reply, () => {
      stopReason ??= 'user';
      r.controller.abort();
    });
    const heartbeat = setInterval(() => r.write(sseComment('ping')), timings.heartbeatMs);
    const deadline = setTimeout(() => {
      stopReason ??= 'time_limit';
      r.controller.abort();
    }, timings.deadlineMs);

    try {
      for await (const ev of r.events) {
        if (ev.type === 'text') {
          content += ev.text;
          r.write(sseEvent({ event: 'delta', data: { text: ev.text } }));
        } else if (ev.type === 'reasoning') {
          reasoning += ev.text;
          r.write(sseEvent({ event: 'reasoning', data: { text: ev.text } }));
        } else {
          usage = ev.usage;
        }
        live.update(r.ids.generation, content, reasoning);
      }
    } catch (err) {
      failure =
        err instanceof UpstreamStreamError
          ? { code: err.code, message: err.message }
          : { code: 'upstream_error', message: 'The reply broke off unexpectedly' };
      if (!(err instanceof UpstreamStreamError)) log('upstream stream failed', err);
    } finally {
      clearInterval(heartbeat);
      clearTimeout(deadline);
      await live.remove(r.ids.generation);
    }

    const status: ReplyStatus = failure ? 'failed' : stopReason ? 'stopped' : 'complete';
    // Without a usage chunk (a stop, a broken stream) we bill what we can see was produced.
    const billed: UpstreamUsage = usage ?? {
      promptTokens: r.promptTokens,
      completionTokens: estimateTokens(content + reasoning),
    };
    const credits = await db.tx(async (tx) => {
      const charged = await deps.metering.settle(tx, {
        userId: r.userId,
        generationId: r.ids.generation,
        model: r.model,
        usage: billed,
      });
      await chatStore(tx).finish({
        generationId: r.ids.generation,
        messageId: r.ids.reply,
        status,
        content,
        reasoning,
        error: failure,
        promptTokens: billed.promptTokens,
        completionTokens: billed.completionTokens,
        credits: charged,
        costUsd: billed.costUsd ?? null,
        at: clock.now(),
      });
      return charged;
    });

    r.write(
      sseEvent({
        event: 'usage',
        data: { promptTokens: billed.promptTokens, completionTokens: billed.completionTokens, credits },
      }),
    );
    if (r.untitled && content) {
      // The title is made after the reply, by a queue function: nothing runs after a response ends.
      await deps.queues
        .send<TitleJob>(TITLE_QUEUE, { userId: r.userId, conversationId: r.conversationId })
        .catch((err) => log('title job not queued', err));
    }
    const last: StreamEvent = failure
      ? { event: 'error', data: failure }
      : stopReason
        ? {
            event: 'done',
            data: { status: 'stopped', ...(stopReason === 'time_limit' ? { reason: 'time_limit' } : {}) },
          }
        : { event: 'done', data: { status: 'complete' } };
    r.write(sseEvent(last));
  }

  return {
    send,

    /** Asks the running reply (on whichever instance streams it) to stop. */
    async stop(userId: string, conversationId: string): Promise<{ stopping: number }> {
      if (!(await conversationStore(db).get(userId, conversationId))) throw notFound('Conversation');
      return { stopping: await chatStore(db).requestStop(userId, conversationId) };
    },

    /** Marks replies whose instance died mid-stream as failed, so they do not spin forever. */
    async failAbandoned(idleMs: number): Promise<number> {
      const now = clock.now();
      return chatStore(db).failAbandoned(new Date(now.getTime() - idleMs), now);
    },
  };
}
