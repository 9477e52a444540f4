/**
 * Orchestration history events in the shape the Durable extension serializes DTFx's HistoryEvent
 * for out-of-process workers (Newtonsoft, PascalCase, numeric EventType): what durable-functions'
 * replay engine reads from the orchestrationTrigger input's `history`.
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

const EVENT_TYPE_NAMES = Object.fromEntries(Object.entries(EventType).map(([k, v]) => [v, k])) as Record<
  number,
  string
>;

export function eventTypeName(type: number): string {
  return EVENT_TYPE_NAMES[type] ?? `Unknown(${type})`;
}

export interface HistoryEvent {
  EventType: EventTypeValue;
  /** The sequence number of a scheduling event (TaskScheduled, TimerCreated, ...), else -1. */
  EventId: number;
  IsPlayed: boolean;
  /** ISO time. durable-functions turns it into a Date when it reads the binding. */
  Timestamp: string;
  Name?: string;
  Version?: string;
  /** JSON text (ExecutionStarted, TaskScheduled, SubOrchestrationInstanceCreated, EventRaised). */
  Input?: string | null;
  /** JSON text (TaskCompleted, SubOrchestrationInstanceCompleted, ExecutionCompleted). */
  Result?: string | null;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  Reason?: string;
  Details?: string;
  InstanceId?: string;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  ParentInstance?: {
    Name: string;
    OrchestrationInstance: { InstanceId: string; ExecutionId: string };
    TaskScheduleId: number;
  } | null;
  OrchestrationStatus?: string;
}

const base = (type: EventTypeValue, at: Date, eventId = -1): HistoryEvent => ({
  EventType: type,
  EventId: eventId,
  IsPlayed: false,
  Timestamp: at.toISOString(),
});

export const events = {
  orchestratorStarted: (at: Date): HistoryEvent => base(EventType.OrchestratorStarted, at),
  orchestratorCompleted: (at: Date): HistoryEvent => base(EventType.OrchestratorCompleted, at),
  executionStarted: (
    at: Date,
    init: {
      name: string;
      instanceId: string;
      executionId: string;
      input: string | null;
      parent?: { name: string; instanceId: string; executionId: string; taskId: number };
    },
  ): HistoryEvent => ({
    ...base(EventType.ExecutionStarted, at),
    Name: init.name,
    Version: '',
    Input: init.input,
    OrchestrationInstance: { InstanceId: init.instanceId, ExecutionId: init.executionId },
    ParentInstance: init.parent
      ? {
          Name: init.parent.name,
          OrchestrationInstance: { InstanceId: init.parent.instanceId, ExecutionId: init.parent.executionId },
          TaskScheduleId: init.parent.taskId,
        }
      : null,
  }),
  taskScheduled: (at: Date, id: number, name: string, input: string | null): HistoryEvent => ({
    ...base(EventType.TaskScheduled, at, id),
    Name: name,
    Version: '',
    Input: input,
  }),
  taskCompleted: (at: Date, taskId: number, result: string): HistoryEvent => ({
    ...base(EventType.TaskCompleted, at),
    TaskScheduledId: taskId,
    Result: result,
  }),
  taskFailed: (at: Date, taskId: number, reason: string, details: string): HistoryEvent => ({
    ...base(EventType.TaskFailed, at),
    TaskScheduledId: taskId,
    Reason: reason,
    Details: details,
  }),
  timerCreated: (at: Date, id: number, fireAt: Date): HistoryEvent => ({
    ...base(EventType.TimerCreated, at, id),
    FireAt: fireAt.toISOString(),
  }),
  timerFired: (at: Date, timerId: number, fireAt: string): HistoryEvent => ({
    ...base(EventType.TimerFired, at),
    TimerId: timerId,
    FireAt: fireAt,
  }),
  subOrchestrationCreated: (
    at: Date,
    id: number,
    name: string,
    instanceId: string,
    input: string | null,
  ): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceCreated, at, id),
    Name: name,
    Version: '',
    InstanceId: instanceId,
    Input: input,
  }),
  subOrchestrationCompleted: (at: Date, taskId: number, result: string): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceCompleted, at),
    TaskScheduledId: taskId,
    Result: result,
  }),
  subOrchestrationFailed: (at: Date, taskId: number, reason: string, details: string): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceFailed, at),
    TaskScheduledId: taskId,
    Reason: reason,
    Details: details,
  }),
  eventRaised: (at: Date, name: string, input: string | null): HistoryEvent => ({
    ...base(EventType.EventRaised, at),
    Name: name,
    Input: input,
  }),
  executionCompleted: (at: Date, status: string, result: string | null): HistoryEvent => ({
    ...base(EventType.ExecutionCompleted, at),
    OrchestrationStatus: status,
    Result: result,
  }),
  executionTerminated: (at: Date, reason: string | null): HistoryEvent => ({
    ...base(EventType.ExecutionTerminated, at),
    Input: reason,
  }),
};

/** JSON text of a value, as the extension stores payloads (`undefined` stores as JSON null). */
export function toJsonText(value: unknown): string {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    // Bytes returned by a function reach the extension as byte[], which Newtonsoft writes as base64.
    return JSON.stringify(Buffer.from(value).toString('base64'));
  }
  return JSON.stringify(value) ?? 'null';
}

export function parseJsonText(text: string | null | undefined): unknown {
  if (text === null || text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
