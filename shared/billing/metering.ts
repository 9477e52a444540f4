import type { Clock } from '../clock';
import type { Db } from '../db/db';
import { AppError } from '../errors';
import { newId } from '../ids';
import type { UpstreamUsage } from '../llm/upstream';
import type { CatalogueModel } from '../models/catalogue';
import { ledgerStore } from './ledger';
import {
  billingPart,
  meteringStore,
  type BillingInput,
  type BillingPart,
  type FactWindows,
  type KeyActivity,
  type ReservationFacts,
} from './metering-store';
import { tokensToUsd, usdToCredits } from './pricing';

export interface ReplyModel extends CatalogueModel {
  free: boolean;
}

/**
 * The seam between chat and money. The chat flow decides a reply with `plan` on facts its first
 * query read and takes the hold in the statement that creates the reply, or calls `reserve`
 * inside a locked transaction when those facts moved (before any upstream call: a throw refuses
 * the reply and changes nothing); `release` when the upstream refuses before the first byte; and
 * joins `settlement` to the statement that records the outcome (complete, stopped, failed or
 * abandoned). `chargeOf` bills an internal call (a title, a memory extraction) that had no
 * reservation, in the statement that records its result. `settle` and `charge` run the same
 * billing as a statement of its own (the metering tests drive it that way, concurrently).
 */
export interface Metering {
  /** Holds the worst case; when the balance cannot hold `maxTokens`, a shorter reply it can hold. */
  reserve(
    tx: Db,
    r: {
      userId: string;
      generationId: string;
      model: ReplyModel;
      promptTokens: number;
      maxTokens: number;
      /** A call through the OpenAI-compatible API: the key's own limits apply too. */
      apiKey?: ApiKeyLimit;
    },
  ): Promise<{ maxTokens: number; hold: number; capped: boolean }>;
  /** The windows `plan`'s facts are counted over, as of `now` (the reply's context reads them). */
  factWindows(now: Date): FactWindows;
  /**
   * `reserve`'s decision alone, on facts read without the lock (in the reply's first query):
   * throws what `reserve` throws, else says what to hold. The caller takes the hold in one
   * statement that also checks the facts' version is unchanged, and calls `reserve` when it was
   * not (another reply of the user started or ended meanwhile), so the limits hold as before.
   */
  plan(
    r: { userId: string; model: ReplyModel; promptTokens: number; maxTokens: number },
    facts: ReservationFacts,
    /** A call through the OpenAI-compatible API: its key's facts, read with the user's. */
    key?: KeyActivity & { limit: ApiKeyLimit },
  ): Reservation;
  /** The facts `plan` decides a call through an API key on: its user's and its key's, in one read. */
  completionFacts(
    db: Db,
    r: { userId: string; generationId: string; apiKey: ApiKeyLimit },
  ): Promise<{ facts: ReservationFacts; key: KeyActivity & { limit: ApiKeyLimit } }>;
  release(tx: Db, r: { userId: string; generationId: string }): Promise<void>;
  settle(
    tx: Db,
    s: { userId: string; generationId: string; model: ReplyModel; usage: UpstreamUsage },
  ): Promise<number>;
  /**
   * `settle` as a part of the statement that ends the reply (chatStore.settle): its billing
   * CTEs, which release and bill nothing unless that statement's guard CTE has a row.
   */
  settlement(s: {
    userId: string;
    generationId: string;
    model: ReplyModel;
    usage: UpstreamUsage;
  }): BillingPart;
  /**
   * Whether the available balance (credits not held) covers the worst case of an internal call
   * billed afterwards by `charge` (a title, a memory extraction): without it the operator would pay.
   */
  affords(
    db: Db,
    a: { userId: string; model: ReplyModel; promptTokens: number; maxTokens: number },
  ): Promise<boolean>;
  charge(tx: Db, c: InternalCall): Promise<number>;
  /** `charge` as a part of the caller's statement, billing nothing unless its guard CTE has a row. */
  chargeOf(c: InternalCall): BillingPart;
  /** `affords` on a balance the caller has read already (with the rest of its first query). */
  covers(
    balance: { credits: number; held: number },
    a: { model: ReplyModel; promptTokens: number; maxTokens: number },
  ): boolean;
}

/** A call billed afterwards, without a hold: a title, a memory extraction. */
export interface InternalCall {
  userId: string;
  reference: string;
  purpose: 'title' | 'memory';
  model: ReplyModel;
  usage: UpstreamUsage;
}

/** The key a call through the OpenAI-compatible API came with, and its spend limit. */
export interface ApiKeyLimit {
  id: string;
  spendLimitCredits: number | null;
}

/** What a reservation holds, and for how long. */
export interface Reservation {
  maxTokens: number;
  hold: number;
  capped: boolean;
  /** A free model: no hold, counted against the free-reply limits. */
  free: boolean;
  expiresAt: Date;
}

export interface MeteringLimits {
  maxConcurrentStreams: number;
  freePerMinute: number;
  freePerDay: number;
  /** A hold nobody settled and whose reply is not streaming is released after this. */
  holdTtlMs: number;
  /** A streaming reply not refreshed for this long is dead: it no longer takes a slot. */
  abandonedAfterMs: number;
  /** The shortest reply worth starting when the balance caps the reply length. */
  minReplyTokens: number;
  /** Calls one API key may start per minute, and have streaming at once. */
  apiKeyPerMinute: number;
  apiKeyMaxConcurrentStreams: number;
}

const catalogueUsd = (model: ReplyModel, promptTokens: number, completionTokens: number) =>
  tokensToUsd(
    { prompt: Number(model.promptPrice), completion: Number(model.completionPrice) },
    promptTokens,
    completionTokens,
  );

/** Upstream cost × markup, rounded up; tokens × catalogue price when upstream sent no cost. */
export function priceOf(model: ReplyModel, usage: UpstreamUsage, markup: number): number {
  if (model.free) return 0;
  return usdToCredits(
    usage.costUsd ?? catalogueUsd(model, usage.promptTokens, usage.completionTokens),
    markup,
  );
}

/** The most a reply can cost: the whole prompt and every allowed completion token. */
export function worstCase(
  model: ReplyModel,
  promptTokens: number,
  maxTokens: number,
  markup: number,
): number {
  if (model.free) return 0;
  const usd = catalogueUsd(model, promptTokens, maxTokens);
  if (!Number.isFinite(usd) || usd < 0) {
    throw new AppError(
      'invalid_request',
      `The model "${model.id}" has no usable price, so it cannot be used. Pick another model.`,
    );
  }
  return usdToCredits(usd, markup);
}

/** The longest reply (≤ maxTokens) whose worst case fits `available`; -1 when not even an empty one does. */
export function affordableReplyTokens(
  model: ReplyModel,
  promptTokens: number,
  maxTokens: number,
  available: number,
  markup: number,
): number {
  if (worstCase(model, promptTokens, 0, markup) > available) return -1;
  let lo = 0;
  let hi = maxTokens;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (worstCase(model, promptTokens, mid, markup) <= available) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Reserve-then-settle against the user's balance; the ledger records every change. */
export function creditMetering(deps: { markup: number; limits: MeteringLimits; clock: Clock }): Metering & {
  sweepExpired(db: Db): Promise<number>;
} {
  const { markup, limits, clock } = deps;

  /** A call's billing: a repeated one (a retried job, a reaper racing the relay) bills nothing twice. */
  function billingInput(u: {
    userId: string;
    purpose: 'reply' | 'title' | 'memory';
    reference: string;
    model: ReplyModel;
    usage: UpstreamUsage;
    /** A reply: its hold is released and caps its charge; an internal call has none. */
    releaseHoldOf: string | null;
    /** A reply's generation: its usage is tagged with the API key that started it, if one did. */
    generationId?: string;
  }): BillingInput {
    const at = clock.now();
    // An estimate that fell short is our loss, not a debt: the statement records both.
    return {
      id: newId(at.getTime()),
      ledgerId: newId(at.getTime()),
      userId: u.userId,
      purpose: u.purpose,
      reference: u.reference,
      model: u.model.id,
      promptTokens: u.usage.promptTokens,
      completionTokens: u.usage.completionTokens,
      costUsd: u.usage.costUsd ?? null,
      price: priceOf(u.model, u.usage, markup),
      releaseHoldOf: u.releaseHoldOf,
      generationId: u.generationId ?? null,
      at,
    };
  }

  const record = async (tx: Db, u: Parameters<typeof billingInput>[0]) =>
    (await meteringStore(tx).record(billingInput(u))).charged;

  const replyBilling = (s: {
    userId: string;
    generationId: string;
    model: ReplyModel;
    usage: UpstreamUsage;
  }) =>
    billingInput({
      ...s,
      purpose: 'reply',
      reference: `reply:${s.generationId}`,
      releaseHoldOf: s.generationId,
    });

  const covers: Metering['covers'] = (balance, a) =>
    a.model.free || balance.credits - balance.held >= worstCase(a.model, a.promptTokens, a.maxTokens, markup);

  const factWindows = (now: Date): FactWindows => ({
    liveSince: new Date(now.getTime() - limits.abandonedAfterMs),
    monthStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    minuteAgo: new Date(now.getTime() - 60_000),
    dayAgo: new Date(now.getTime() - 86_400_000),
  });

  type KeyFacts = KeyActivity & { limit: ApiKeyLimit };

  function checkKeyRate(k: KeyFacts, now: Date) {
    if (k.streaming >= limits.apiKeyMaxConcurrentStreams) {
      throw new AppError(
        'rate_limited',
        `This API key can have ${limits.apiKeyMaxConcurrentStreams} calls running at once. Wait for one to finish.`,
        { retryAfterSeconds: 1 },
      );
    }
    if (k.lastMinute >= limits.apiKeyPerMinute) {
      const wait = k.oldest ? Math.ceil((k.oldest.getTime() + 60_000 - now.getTime()) / 1000) : 60;
      const retryAfterSeconds = Math.max(1, wait);
      throw new AppError(
        'rate_limited',
        `This API key allows ${limits.apiKeyPerMinute} calls a minute. Try again in ${retryAfterSeconds} s.`,
        { retryAfterSeconds },
      );
    }
  }

  /**
   * The one decision of a reservation, on facts read under the balance lock (`reserve`) or
   * without it (`plan`, whose caller checks the facts' version when taking the hold).
   */
  function decide(
    r: { model: ReplyModel; promptTokens: number; maxTokens: number },
    facts: ReservationFacts,
    key: KeyFacts | null,
    now: Date,
  ): Reservation {
    const expiresAt = new Date(now.getTime() + limits.holdTtlMs);
    if (key) checkKeyRate(key, now);
    else if (facts.active >= limits.maxConcurrentStreams) {
      throw new AppError(
        'rate_limited',
        `You can have ${limits.maxConcurrentStreams} replies streaming at once. Wait for one to finish, then send again.`,
        { retryAfterSeconds: 5 },
      );
    }
    if (r.model.free) {
      for (const [windowMs, limit, what, used] of [
        [60_000, limits.freePerMinute, 'a minute', facts.freeLastMinute],
        [86_400_000, limits.freePerDay, 'a day', facts.freeLastDay],
      ] as const) {
        if (used.n >= limit) {
          const wait = used.oldest
            ? Math.ceil((used.oldest.getTime() + windowMs - now.getTime()) / 1000)
            : 60;
          const retryAfterSeconds = Math.max(1, wait);
          throw new AppError(
            'rate_limited',
            `Free models allow ${limit} replies in ${what}. Try again in ${retryAfterSeconds} s, or pick a paid model.`,
            { retryAfterSeconds },
          );
        }
      }
      return { maxTokens: r.maxTokens, hold: 0, capped: false, free: true, expiresAt };
    }
    let available = Math.max(0, facts.credits - facts.held);
    // A key's spend limit is a second balance: what it spent and holds counts against it.
    const keyLeft =
      key && key.limit.spendLimitCredits !== null && key.spentAndHeld !== null
        ? Math.max(0, key.limit.spendLimitCredits - key.spentAndHeld)
        : null;
    if (keyLeft !== null) available = Math.min(available, keyLeft);
    let maxTokens = r.maxTokens;
    let hold = worstCase(r.model, r.promptTokens, maxTokens, markup);
    if (hold > available) {
      const affordable = affordableReplyTokens(r.model, r.promptTokens, r.maxTokens, available, markup);
      const floor = Math.min(limits.minReplyTokens, r.maxTokens);
      if (affordable < floor) {
        const needed = worstCase(r.model, r.promptTokens, floor, markup);
        if (keyLeft !== null && keyLeft === available) {
          throw new AppError(
            'insufficient_credits',
            `This call needs at least ${needed.toLocaleString('en-US')} credits (the prompt and a reply of ${floor} tokens on ${r.model.name}), and this API key's spend limit leaves ${keyLeft.toLocaleString('en-US')}. Raise the key's limit or create a new key.`,
            { details: { needed, available } },
          );
        }
        throw new AppError(
          'insufficient_credits',
          `This reply needs at least ${needed.toLocaleString('en-US')} credits (your message and a reply of ${floor} tokens on ${r.model.name}), and ${available.toLocaleString('en-US')} are available. Buy credits, or pick a cheaper model.`,
          { details: { needed, available } },
        );
      }
      maxTokens = affordable;
      hold = worstCase(r.model, r.promptTokens, maxTokens, markup);
    }
    const cap = facts.cap;
    if (cap !== null && hold > 0) {
      const spent = facts.spent ?? 0;
      if (spent + hold > cap) {
        throw new AppError(
          'spend_cap_reached',
          `This reply may cost up to ${hold.toLocaleString('en-US')} credits, which would take this month's spending past your cap of ${cap.toLocaleString('en-US')} (${spent.toLocaleString('en-US')} so far). Raise the cap in settings, pick a cheaper model or a shorter reply, or wait for next month.`,
          { details: { hold, spent, cap } },
        );
      }
    }
    return { maxTokens, hold, capped: maxTokens < r.maxTokens, free: false, expiresAt };
  }

  return {
    async reserve(tx, r) {
      const now = clock.now();
      const store = meteringStore(tx);
      // Locking the balance row serialises this user's reservations, so the limits below hold.
      if (!(await ledgerStore(tx).lockBalance(r.userId)))
        throw new AppError('unauthenticated', 'Sign in again.');
      // Read after the lock, so a reservation that committed while we waited is counted.
      const facts = await store.reservationFacts(r.userId, factWindows(now), r.generationId);
      if (!facts) throw new AppError('unauthenticated', 'Sign in again.');
      const key: KeyFacts | null = r.apiKey
        ? { limit: r.apiKey, ...(await store.keyFacts(r.apiKey, factWindows(now), r.generationId)) }
        : null;
      const plan = decide(r, facts, key, now);
      if (plan.free) {
        await store.markFree(r.generationId);
        return { maxTokens: plan.maxTokens, hold: 0, capped: false };
      }
      const taken = await store.takeHold({
        userId: r.userId,
        generationId: r.generationId,
        credits: plan.hold,
        at: now,
        expiresAt: plan.expiresAt,
      });
      // The row is locked, so this cannot fail for want of credit; it would mean a bug, not a race.
      if (taken === 0) throw new AppError('internal', 'The credit hold could not be taken. Try again.');
      return { maxTokens: plan.maxTokens, hold: plan.hold, capped: plan.capped };
    },

    factWindows,

    plan: (r, facts, key) => decide(r, facts, key ?? null, clock.now()),

    async completionFacts(db, r) {
      const read = await meteringStore(db).completionFacts(
        r.userId,
        r.apiKey,
        factWindows(clock.now()),
        r.generationId,
      );
      if (!read) throw new AppError('unauthenticated', 'Sign in again.');
      return { facts: read.facts, key: { limit: r.apiKey, ...read.key } };
    },

    async release(tx, r) {
      await meteringStore(tx).releaseHold(r.generationId);
    },

    settle: async (tx, s) => (await meteringStore(tx).record(replyBilling(s))).charged,

    settlement: (s) => billingPart(replyBilling(s)),

    async affords(db, a) {
      if (a.model.free) return true;
      const b = await ledgerStore(db).balance(a.userId);
      return b !== null && covers({ credits: Number(b.credits), held: Number(b.held) }, a);
    },

    covers,

    charge: (tx, c) => record(tx, { ...c, releaseHoldOf: null }),

    chargeOf: (c) => billingPart(billingInput({ ...c, releaseHoldOf: null })),

    /** Releases holds nobody settled whose reply is not streaming (a crash before the reply row existed). */
    async sweepExpired(db) {
      const expired = await meteringStore(db).expiredHolds(clock.now());
      let released = 0;
      for (const h of expired) {
        await db.tx(async (tx) => {
          if (!(await meteringStore(tx).lockExpiredHold(h.generation_id, clock.now()))) return;
          await meteringStore(tx).releaseHold(h.generation_id);
          released++;
        });
      }
      return released;
    },
  };
}
