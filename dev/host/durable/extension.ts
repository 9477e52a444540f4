/**
 * Durable Functions on the local host (DESIGN §11): the part of the Functions host the Durable
 * extension plays. It takes the `orchestrationTrigger` and `activityTrigger` registrations that
 * `df.app.orchestration` / `df.app.activity` make, hands every `durableClient` input the JSON the
 * real extension hands it (pointing at this host's `/runtime/webhooks/durabletask` API), and runs
 * instances with durable-functions' own replay engine, history kept in the storage account.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BindingInfo, Registration } from '../core-shim';
import type { DurableSettings } from '../host-config';
import type { Invoker, LogFn } from '../invoke';
import { resolveConnectionString } from '../storage';
import type { HostContext, TriggerAdapter } from '../triggers';
import { DurableEngine } from './engine';
import { durableClientInput, handleDurableRequest } from './http-api';
import { DurableStore } from './store';

/** The connection the Azure Storage backend uses unless host.json names another. */
const CONNECTION = 'AzureWebJobsStorage';

export class DurableExtension {
  readonly orchestrators = new Map<string, Registration>();
  readonly activities = new Map<string, Registration>();
  #engine: Promise<DurableEngine> | undefined;
  #engineReady: DurableEngine | undefined;
  #settings: DurableSettings | undefined;
  #origin: string | undefined;
  readonly #listening: Promise<string>;
  #resolveListening!: (origin: string) => void;
  #rejectListening!: (err: Error) => void;
  #stopped = false;

  constructor(private readonly overrides: Partial<DurableSettings> = {}) {
    this.#listening = new Promise<string>((resolve, reject) => {
      this.#resolveListening = resolve;
      this.#rejectListening = reject;
    });
    // A host that never listens (port in use) must not leave an unhandled rejection behind.
    this.#listening.catch(() => undefined);
  }

  get hubName(): string | undefined {
    return this.#settings?.hubName;
  }

  #ensureEngine(invoker: Invoker, settings: DurableSettings, log: LogFn): Promise<DurableEngine> {
    this.#engine ??= (async () => {
      this.#settings = { ...settings, ...this.overrides };
      const store = new DurableStore(resolveConnectionString(CONNECTION), this.#settings.hubName);
      await store.init();
      const engine = new DurableEngine(
        store,
        this.#settings,
        invoker,
        log,
        this.orchestrators,
        this.activities,
      );
      this.#engineReady = engine;
      if (this.#stopped) engine.abort();
      return engine;
    })();
    // A failed start (no storage) is retried by the next caller, not remembered.
    this.#engine.catch(() => (this.#engine = undefined));
    return this.#engine;
  }

  #adapter(kind: 'orchestration' | 'activity'): TriggerAdapter {
    const map = kind === 'orchestration' ? this.orchestrators : this.activities;
    return {
      start: async (registration: Registration, host: HostContext) => {
        await this.#ensureEngine(host.invoker, host.settings.durable, host.log);
        map.set(registration.name.toLowerCase(), registration);
      },
      stop: () => this.stop(),
      abort: () => this.abort(),
      describe: () => `${kind} (durable, task hub ${this.#settings?.hubName ?? '?'})`,
    };
  }

  readonly orchestrationAdapter: TriggerAdapter = this.#adapter('orchestration');
  readonly activityAdapter: TriggerAdapter = this.#adapter('activity');

  /** The host context, for engines needed by functions that only have a durable client input. */
  #host: HostContext | undefined;
  attach(host: HostContext): void {
    this.#host = host;
  }

  /** The value of a `durableClient` input: the extension's client JSON (once the host listens). */
  readonly clientInput = async (_binding: BindingInfo, _registration: Registration): Promise<unknown> => {
    const origin = await this.#listening;
    if (this.#host) await this.#ensureEngine(this.#host.invoker, this.#host.settings.durable, this.#host.log);
    return durableClientInput(
      origin,
      this.#settings?.hubName ?? this.overrides.hubName ?? 'TestHubName',
      CONNECTION,
    );
  };

  /** Serves `/runtime/webhooks/durabletask/...`; false for other paths. */
  async handleWebhook(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (!url.pathname.toLowerCase().startsWith('/runtime/webhooks/durabletask')) return false;
    if (!this.#host) return false;
    const engine = await this.#ensureEngine(this.#host.invoker, this.#host.settings.durable, this.#host.log);
    return handleDurableRequest(
      { engine, hubName: engine.settings.hubName, connection: CONNECTION },
      req,
      res,
      url,
    );
  }

  /** The host listens at `origin` (e.g. `http://127.0.0.1:7071`): clients can be handed out, work can run. */
  async listen(origin: string): Promise<void> {
    this.#origin = origin;
    this.#resolveListening(origin);
    if (this.#engine && !this.#stopped) (await this.#engine).start();
  }

  get origin(): string | undefined {
    return this.#origin;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#rejectListening(new Error('The local host stopped before it listened'));
    const engine = await this.#engine?.catch(() => undefined);
    await engine?.stop();
  }

  abort(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#rejectListening(new Error('The local host was aborted'));
    this.#engineReady?.abort();
  }
}
