/**
 * Where the local Durable emulation keeps its state: tables in the storage account (Azurite), as
 * the Azure Storage backend does, but in tables of its own (`<hub>Local...`) so a real Durable
 * extension pointed at the same account never reads them.
 *
 *  - `<hub>LocalInstances`: one row per instance (status, input, output, custom status, how much
 *    history is committed, the episode lock, the outbox of the last committed episode).
 *  - `<hub>LocalHistory`: one row per history event, PartitionKey the instance id.
 *  - `<hub>LocalInbox`: messages to orchestrations (start, completions, timers with the time they
 *    become visible, raised events, terminate).
 *  - `<hub>LocalWork`: activities to run, each claimed with a renewable lease.
 *
 * Values too big for a table property go to the `<hub>-local-large` blob container.
 */
import { RestError as BlobRestError, type ContainerClient, BlobServiceClient } from '@azure/storage-blob';
import {
  TableClient,
  RestError as TableRestError,
  type TableEntity,
  type TableEntityResult,
} from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import type { HistoryEvent } from './history';

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'ContinuedAsNew' | 'Suspended';

export const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated']);
/** Statuses in which a new start with the same id is refused (the extension's default dedupe). */
export const RUNNING: ReadonlySet<RuntimeStatus> = new Set([
  'Pending',
  'Running',
  'ContinuedAsNew',
  'Suspended',
]);

export interface ParentRef {
  name: string;
  instanceId: string;
  executionId: string;
  taskId: number;
}

/** What a committed episode still has to hand out (idempotent, redone after a crash). */
export interface Outbox {
  /** Inbox row keys the episode consumed (deleted once the episode is committed). */
  consumed: string[];
  activities: { taskId: number; name: string; input: string }[];
  timers: { taskId: number; fireAt: string }[];
  subOrchestrations: { taskId: number; name: string; instanceId: string; input: string | null }[];
  /** The terminal event for the parent of a finished sub-orchestration. */
  notifyParent?: { parent: ParentRef; event: HistoryEvent };
  /** continueAsNew: the execution that ended (its history is deleted) and the one to start. */
  previousExecution?: string;
  startExecution?: string;
}

export interface InstanceState {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  /** History rows [0, historyLength) of this execution are committed; later rows are leftovers. */
  historyLength: number;
  parent: ParentRef | null;
  outbox: Outbox | null;
  lockOwner: string;
  lockUntil: number;
}

export interface InstanceRecord extends InstanceState {
  etag: string;
}

export type InboxKind = 'start' | 'event' | 'completion' | 'timer' | 'terminate';

export interface InboxMessage {
  instanceId: string;
  key: string;
  kind: InboxKind;
  /** '' when the message is for whichever execution is current (raised events, terminate). */
  executionId: string;
  visibleAt: number;
  enqueuedAt: number;
  event: HistoryEvent | null;
  /** terminate: the reason. */
  reason?: string;
}

export interface WorkItem {
  key: string;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text of the activity's input as the orchestrator's action carried it. */
  input: string;
  leaseOwner: string;
  leaseUntil: number;
  etag: string;
}

/** Table properties hold at most 64 KiB (32 K UTF-16 characters). */
const MAX_INLINE_CHARS = 30_000;
const WORK_PARTITION = 'activity';

export const isStatus = (err: unknown, status: number): boolean =>
  (err instanceof TableRestError || err instanceof BlobRestError) && err.statusCode === status;

/** A string property (numbers as their digits), else `fallback`. */
const str = (value: unknown, fallback = ''): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback;
const pad = (n: number): string => String(n).padStart(10, '0');
const odataString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

type Entity = TableEntityResult<Record<string, unknown>>;

export class DurableStore {
  readonly instances: TableClient;
  readonly history: TableClient;
  readonly inbox: TableClient;
  readonly work: TableClient;
  readonly large: ContainerClient;

  constructor(
    connectionString: string,
    readonly hubName: string,
  ) {
    const opts = { allowInsecureConnection: true };
    this.instances = TableClient.fromConnectionString(connectionString, `${hubName}LocalInstances`, opts);
    this.history = TableClient.fromConnectionString(connectionString, `${hubName}LocalHistory`, opts);
    this.inbox = TableClient.fromConnectionString(connectionString, `${hubName}LocalInbox`, opts);
    this.work = TableClient.fromConnectionString(connectionString, `${hubName}LocalWork`, opts);
    this.large = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(
      `${hubName.toLowerCase()}-local-large`,
    );
  }

  async init(): Promise<void> {
    await Promise.all([
      this.instances.createTable(),
      this.history.createTable(),
      this.inbox.createTable(),
      this.work.createTable(),
      this.large.createIfNotExists(),
    ]);
  }

  // ---- large values ---------------------------------------------------------------------------

  async #pack(
    instanceId: string,
    field: string,
    value: string | null,
    into: Record<string, unknown>,
  ): Promise<void> {
    if (value !== null && value.length > MAX_INLINE_CHARS) {
      const name = `${instanceId}/${randomUUID()}`;
      const bytes = Buffer.from(value, 'utf8');
      await this.large.getBlockBlobClient(name).upload(bytes, bytes.byteLength);
      into[`${field}Blob`] = name;
      into[field] = '';
    } else {
      into[field] = value ?? '';
      into[`${field}Null`] = value === null;
    }
  }

  async #unpack(entity: Entity, field: string): Promise<string | null> {
    const blob = entity[`${field}Blob`];
    if (typeof blob === 'string' && blob !== '') {
      return (await this.large.getBlobClient(blob).downloadToBuffer()).toString('utf8');
    }
    if (entity[`${field}Null`] === true) return null;
    const value = entity[field];
    return typeof value === 'string' ? value : null;
  }

  // ---- instances ------------------------------------------------------------------------------

  async #toInstance(e: Entity): Promise<InstanceRecord> {
    const [input, output, customStatus, outbox, parent] = await Promise.all([
      this.#unpack(e, 'Input'),
      this.#unpack(e, 'Output'),
      this.#unpack(e, 'CustomStatus'),
      this.#unpack(e, 'Outbox'),
      this.#unpack(e, 'Parent'),
    ]);
    return {
      instanceId: str(e.InstanceId, str(e.partitionKey)),
      name: str(e.Name),
      executionId: str(e.ExecutionId),
      runtimeStatus: str(e.RuntimeStatus, 'Pending') as RuntimeStatus,
      input,
      output,
      customStatus,
      createdTime: str(e.CreatedTime),
      lastUpdatedTime: str(e.LastUpdatedTime),
      historyLength: Number(e.HistoryLength ?? 0),
      parent: parent ? (JSON.parse(parent) as ParentRef) : null,
      outbox: outbox ? (JSON.parse(outbox) as Outbox) : null,
      lockOwner: str(e.LockOwner),
      lockUntil: Number(e.LockUntil ?? 0),
      etag: e.etag,
    };
  }

  async #fromInstance(s: InstanceState): Promise<TableEntity<Record<string, unknown>>> {
    const entity: TableEntity<Record<string, unknown>> = {
      partitionKey: s.instanceId,
      rowKey: '',
      InstanceId: s.instanceId,
      Name: s.name,
      ExecutionId: s.executionId,
      RuntimeStatus: s.runtimeStatus,
      CreatedTime: s.createdTime,
      LastUpdatedTime: s.lastUpdatedTime,
      HistoryLength: s.historyLength,
      LockOwner: s.lockOwner,
      LockUntil: s.lockUntil,
    };
    await this.#pack(s.instanceId, 'Input', s.input, entity);
    await this.#pack(s.instanceId, 'Output', s.output, entity);
    await this.#pack(s.instanceId, 'CustomStatus', s.customStatus, entity);
    await this.#pack(s.instanceId, 'Outbox', s.outbox ? JSON.stringify(s.outbox) : null, entity);
    await this.#pack(s.instanceId, 'Parent', s.parent ? JSON.stringify(s.parent) : null, entity);
    return entity;
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    try {
      return await this.#toInstance(await this.instances.getEntity<Record<string, unknown>>(instanceId, ''));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Creates the row; false when one exists already. */
  async createInstance(state: InstanceState): Promise<boolean> {
    try {
      await this.instances.createEntity(await this.#fromInstance(state));
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }

  /** Replaces the row if it has not changed since `etag`; the new etag, or undefined if it had. */
  async replaceInstance(state: InstanceState, etag: string): Promise<string | undefined> {
    try {
      const r = await this.instances.updateEntity(await this.#fromInstance(state), 'Replace', { etag });
      return r.etag;
    } catch (err) {
      if (isStatus(err, 412) || isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async listInstances(filter?: string): Promise<InstanceRecord[]> {
    const out: InstanceRecord[] = [];
    for await (const e of this.instances.listEntities<Record<string, unknown>>({
      queryOptions: { filter },
    })) {
      out.push(await this.#toInstance(e));
    }
    return out;
  }

  // ---- history --------------------------------------------------------------------------------

  async loadHistory(instanceId: string, executionId: string, length: number): Promise<HistoryEvent[]> {
    if (length === 0) return [];
    const from = `${executionId}~${pad(0)}`;
    const to = `${executionId}~${pad(length)}`;
    const rows: { index: number; entity: Entity }[] = [];
    const filter = `PartitionKey eq ${odataString(instanceId)} and RowKey ge ${odataString(from)} and RowKey lt ${odataString(to)}`;
    for await (const e of this.history.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      rows.push({ index: Number(e.Index), entity: e });
    }
    rows.sort((a, b) => a.index - b.index);
    if (rows.length !== length || rows.some((r, i) => r.index !== i)) {
      throw new Error(`History of ${instanceId} is incomplete (${rows.length} of ${length} events)`);
    }
    return Promise.all(
      rows.map(async (r) => JSON.parse((await this.#unpack(r.entity, 'Event')) ?? 'null') as HistoryEvent),
    );
  }

  /** Writes events at [from, from + events.length); rows past the committed length are overwritten. */
  async appendHistory(
    instanceId: string,
    executionId: string,
    from: number,
    events: readonly HistoryEvent[],
  ): Promise<void> {
    const entities: TableEntity<Record<string, unknown>>[] = [];
    for (const [i, event] of events.entries()) {
      const entity: TableEntity<Record<string, unknown>> = {
        partitionKey: instanceId,
        rowKey: `${executionId}~${pad(from + i)}`,
        Index: from + i,
        EventType: event.EventType,
      };
      await this.#pack(instanceId, 'Event', JSON.stringify(event), entity);
      entities.push(entity);
    }
    // One partition: up to 100 entities per transaction.
    for (let i = 0; i < entities.length; i += 100) {
      await this.history.submitTransaction(
        entities.slice(i, i + 100).map((e) => ['upsert', e, 'Replace'] as const),
      );
    }
  }

  async deleteHistory(instanceId: string, executionId?: string): Promise<void> {
    const filter = executionId
      ? `PartitionKey eq ${odataString(instanceId)} and RowKey ge ${odataString(`${executionId}~`)} and RowKey lt ${odataString(`${executionId}~~`)}`
      : `PartitionKey eq ${odataString(instanceId)}`;
    await this.#deleteAll(this.history, filter);
  }

  async #deleteAll(table: TableClient, filter: string): Promise<number> {
    const keys: { partitionKey: string; rowKey: string }[] = [];
    for await (const e of table.listEntities({
      queryOptions: { filter, select: ['PartitionKey', 'RowKey'] },
    })) {
      keys.push({ partitionKey: String(e.partitionKey), rowKey: String(e.rowKey) });
    }
    await Promise.all(
      keys.map(async (k) => {
        try {
          await table.deleteEntity(k.partitionKey, k.rowKey);
        } catch (err) {
          if (!isStatus(err, 404)) throw err;
        }
      }),
    );
    return keys.length;
  }

  // ---- inbox ----------------------------------------------------------------------------------

  async #toMessage(e: Entity): Promise<InboxMessage> {
    const event = await this.#unpack(e, 'Event');
    return {
      instanceId: String(e.partitionKey),
      key: String(e.rowKey),
      kind: str(e.Kind) as InboxKind,
      executionId: str(e.ExecutionId),
      visibleAt: Number(e.VisibleAt ?? 0),
      enqueuedAt: Number(e.EnqueuedAt ?? 0),
      event: event ? (JSON.parse(event) as HistoryEvent) : null,
      reason: typeof e.Reason === 'string' ? e.Reason : undefined,
    };
  }

  /** Upserts: a message with the same key (a redelivery) replaces the earlier one. */
  async putMessage(message: Omit<InboxMessage, 'enqueuedAt'>): Promise<void> {
    const entity: TableEntity<Record<string, unknown>> = {
      partitionKey: message.instanceId,
      rowKey: message.key,
      Kind: message.kind,
      ExecutionId: message.executionId,
      VisibleAt: message.visibleAt,
      EnqueuedAt: Date.now(),
    };
    if (message.reason !== undefined) entity.Reason = message.reason;
    await this.#pack(
      message.instanceId,
      'Event',
      message.event ? JSON.stringify(message.event) : null,
      entity,
    );
    await this.inbox.upsertEntity(entity, 'Replace');
  }

  async getMessage(instanceId: string, key: string): Promise<InboxMessage | undefined> {
    try {
      return await this.#toMessage(await this.inbox.getEntity<Record<string, unknown>>(instanceId, key));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Instance ids with a message visible now, and when the next invisible one becomes visible. */
  async dueInstances(now: number): Promise<{ due: string[]; next: number | undefined }> {
    const due = new Set<string>();
    let next: number | undefined;
    for await (const e of this.inbox.listEntities<Record<string, unknown>>({
      queryOptions: { select: ['PartitionKey', 'VisibleAt'] },
    })) {
      const visibleAt = Number(e.VisibleAt ?? 0);
      if (visibleAt <= now) due.add(String(e.partitionKey));
      else next = next === undefined ? visibleAt : Math.min(next, visibleAt);
    }
    return { due: [...due], next };
  }

  async dueMessages(instanceId: string, now: number): Promise<InboxMessage[]> {
    const out: InboxMessage[] = [];
    const filter = `PartitionKey eq ${odataString(instanceId)}`;
    for await (const e of this.inbox.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      if (Number(e.VisibleAt ?? 0) <= now) out.push(await this.#toMessage(e));
    }
    return out.sort(
      (a, b) => a.visibleAt - b.visibleAt || a.enqueuedAt - b.enqueuedAt || a.key.localeCompare(b.key),
    );
  }

  async deleteMessage(instanceId: string, key: string): Promise<void> {
    try {
      await this.inbox.deleteEntity(instanceId, key);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  async deleteMessages(instanceId: string): Promise<void> {
    await this.#deleteAll(this.inbox, `PartitionKey eq ${odataString(instanceId)}`);
  }

  // ---- activities -----------------------------------------------------------------------------

  static workKey(instanceId: string, executionId: string, taskId: number): string {
    return `${instanceId}~${executionId}~${pad(taskId)}`;
  }

  #toWork(e: Entity): WorkItem {
    return {
      key: String(e.rowKey),
      instanceId: str(e.InstanceId),
      executionId: str(e.ExecutionId),
      taskId: Number(e.TaskId),
      name: str(e.Name),
      input: '',
      leaseOwner: str(e.LeaseOwner),
      leaseUntil: Number(e.LeaseUntil ?? 0),
      etag: e.etag,
    };
  }

  /** Creates the work item unless it exists (a redone dispatch must not reset a running one). */
  async createWork(item: Omit<WorkItem, 'key' | 'etag' | 'leaseOwner' | 'leaseUntil'>): Promise<void> {
    const entity: TableEntity<Record<string, unknown>> = {
      partitionKey: WORK_PARTITION,
      rowKey: DurableStore.workKey(item.instanceId, item.executionId, item.taskId),
      InstanceId: item.instanceId,
      ExecutionId: item.executionId,
      TaskId: item.taskId,
      Name: item.name,
      LeaseOwner: '',
      LeaseUntil: 0,
    };
    await this.#pack(item.instanceId, 'Input', item.input, entity);
    try {
      await this.work.createEntity(entity);
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
    }
  }

  /** Work items nobody holds a live lease on. */
  async availableWork(now: number, limit: number): Promise<WorkItem[]> {
    const out: WorkItem[] = [];
    const filter = `PartitionKey eq '${WORK_PARTITION}' and LeaseUntil lt ${now}`;
    for await (const e of this.work.listEntities<Record<string, unknown>>({
      queryOptions: {
        filter,
        select: [
          'PartitionKey',
          'RowKey',
          'InstanceId',
          'ExecutionId',
          'TaskId',
          'Name',
          'LeaseOwner',
          'LeaseUntil',
        ],
      },
    })) {
      out.push(this.#toWork(e));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Takes (or renews) the lease; the claimed item with its input, or undefined if someone else won. */
  async leaseWork(item: WorkItem, owner: string, until: number): Promise<WorkItem | undefined> {
    try {
      const r = await this.work.updateEntity(
        { partitionKey: WORK_PARTITION, rowKey: item.key, LeaseOwner: owner, LeaseUntil: until },
        'Merge',
        { etag: item.etag },
      );
      const claimed = { ...item, leaseOwner: owner, leaseUntil: until, etag: r.etag ?? item.etag };
      if (item.input === '') {
        const e = await this.work.getEntity<Record<string, unknown>>(WORK_PARTITION, item.key);
        claimed.input = (await this.#unpack(e, 'Input')) ?? 'null';
        claimed.etag = e.etag;
      }
      return claimed;
    } catch (err) {
      if (isStatus(err, 412) || isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async deleteWork(key: string): Promise<void> {
    try {
      await this.work.deleteEntity(WORK_PARTITION, key);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  async deleteWorkOf(instanceId: string): Promise<void> {
    await this.#deleteAll(
      this.work,
      `PartitionKey eq '${WORK_PARTITION}' and InstanceId eq ${odataString(instanceId)}`,
    );
  }

  // ---- purge ----------------------------------------------------------------------------------

  async purge(instanceId: string): Promise<void> {
    await Promise.all([
      this.deleteHistory(instanceId),
      this.deleteMessages(instanceId),
      this.deleteWorkOf(instanceId),
    ]);
    try {
      await this.instances.deleteEntity(instanceId, '');
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    for await (const blob of this.large.listBlobsFlat({ prefix: `${instanceId}/` })) {
      await this.large.deleteBlob(blob.name).catch(() => undefined);
    }
  }
}
