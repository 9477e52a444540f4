/**
 * Timer triggers: NCRONTAB schedules (6 fields, seconds first; 5-field cron accepted too) or
 * TimeSpan intervals (`hh:mm:ss`), in UTC unless WEBSITE_TIME_ZONE is set, like the Functions host.
 * Runs never overlap; a failing run is logged and the schedule continues.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Registration } from './core-shim';
import { parseTimeSpan, resolveAppSettings } from './host-config';
import { describeError, errorDetail } from './invoke';
import { sleepUnlessAborted } from './sleep';
import type { HostContext, TriggerAdapter } from './triggers';

/** setTimeout overflows beyond ~24.8 days. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** How late a run may start before it is reported as past due. */
const PAST_DUE_TOLERANCE_MS = 1000;

type NextFn = (after: Date) => Date;

function compileSchedule(schedule: string): NextFn {
  if (/^(\d+\.)?\d{1,2}:\d{1,2}:\d{1,2}$/.test(schedule)) {
    const interval = parseTimeSpan(schedule);
    if (interval <= 0) throw new Error(`Timer interval "${schedule}" must be positive`);
    return (after) => new Date(after.getTime() + interval);
  }
  const tz = process.env.WEBSITE_TIME_ZONE ?? 'UTC';
  // Parse once up front so a bad expression fails at startup, not at the first tick.
  CronExpressionParser.parse(schedule, { tz });
  return (after) => CronExpressionParser.parse(schedule, { tz, currentDate: after }).next().toDate();
}

class TimerRunner {
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #last: Date | undefined;

  constructor(
    readonly registration: Registration,
    readonly next: NextFn,
    readonly host: HostContext,
  ) {}

  start(runOnStartup: boolean): void {
    this.#loop = this.#run(runOnStartup);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #sleepUntil(when: Date): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted && Date.now() < when.getTime()) {
      const ms = Math.min(when.getTime() - Date.now(), MAX_TIMEOUT_MS);
      await sleepUnlessAborted(ms, signal);
    }
  }

  async #run(runOnStartup: boolean): Promise<void> {
    if (runOnStartup) await this.#fire(new Date(), false);
    while (!this.#abort.signal.aborted) {
      const due = this.next(new Date());
      await this.#sleepUntil(due);
      if (this.#abort.signal.aborted) break;
      await this.#fire(due, Date.now() - due.getTime() > PAST_DUE_TOLERANCE_MS);
    }
  }

  /** Never rejects: a broken timer function must not take the host down. */
  async #fire(scheduled: Date, isPastDue: boolean): Promise<void> {
    const now = new Date();
    let next: string | undefined;
    try {
      next = this.next(now).toISOString();
    } catch {
      next = undefined;
    }
    const timer = {
      isPastDue,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: (this.#last ?? scheduled).toISOString(), next, lastUpdated: now.toISOString() },
    };
    this.#last = scheduled;
    try {
      await this.host.invoker.invoke(this.registration, timer);
    } catch (err) {
      this.host.log(
        `[timer] ${this.registration.name} failed: ${errorDetail(err instanceof Error && err.cause ? err.cause : err)}`,
      );
    }
  }
}

export class TimerTriggerAdapter implements TriggerAdapter {
  readonly #runners: TimerRunner[] = [];

  start(registration: Registration, host: HostContext): void {
    const schedule = resolveAppSettings(String(registration.trigger.schedule));
    let next: NextFn;
    try {
      next = compileSchedule(schedule);
    } catch (err) {
      throw new Error(`invalid schedule "${schedule}": ${describeError(err)}`);
    }
    const runner = new TimerRunner(registration, next, host);
    runner.start(registration.trigger.runOnStartup === true);
    this.#runners.push(runner);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#runners.map((r) => r.stop()));
  }

  describe(registration: Registration): string {
    const onStartup = registration.trigger.runOnStartup === true ? ', runOnStartup' : '';
    return `timer: ${String(registration.trigger.schedule)}${onStartup}`;
  }
}
