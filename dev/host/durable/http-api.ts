/**
 * The Durable extension's HTTP API (`/runtime/webhooks/durabletask/...`), the part durable-functions'
 * DurableClient calls: start (`POST orchestrators/{name}[/{id}]`), status and lists
 * (`GET instances/[{id}]`), raise event, terminate, purge (`DELETE instances/[{id}]`). Status codes
 * and bodies follow the extension's HttpApiHandler, so the client behaves as it does in Azure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../invoke';
import { DurableApiError, type DurableEngine, type InstanceFilter } from './engine';
import { TERMINAL } from './store';

export const WEBHOOK_PATH = '/runtime/webhooks/durabletask';
/** The placeholder the management URLs carry for the instance id (the extension's own). */
export const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface HttpManagementPayload {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

/** GetClientResponseLinks: the URLs for one instance (or the INSTANCEID template). */
export function managementPayload(
  origin: string,
  hubName: string,
  connection: string,
  instanceId: string,
): HttpManagementPayload {
  const base = `${origin}${WEBHOOK_PATH}`;
  const instance = `${base}/instances/${instanceId === INSTANCE_ID_PLACEHOLDER ? instanceId : encodeURIComponent(instanceId)}`;
  const query = `taskHub=${encodeURIComponent(hubName)}&connection=${encodeURIComponent(connection)}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

/** The JSON the extension hands a `durableClient` input (BindingHelper.DurableOrchestrationClientToString). */
export function durableClientInput(
  origin: string,
  hubName: string,
  connection: string,
): Record<string, unknown> {
  const base = `${origin}${WEBHOOK_PATH}`;
  const creation = `${base}/orchestrators/{functionName}[/{instanceId}]`;
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${creation}?`,
      createAndWaitOnNewInstancePostUri: `${creation}?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&`,
    },
    managementUrls: managementPayload(origin, hubName, connection, INSTANCE_ID_PLACEHOLDER),
    baseUrl: base,
    requiredQueryStringParameters: '',
    rpcBaseUrl: `${base}/`,
  };
}

function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** The shape of ASP.NET's HttpError, which the extension's CreateErrorResponse produces. */
function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  err?: DurableApiError | Error,
): void {
  send(res, status, {
    Message: message,
    ExceptionMessage: err?.message,
    ExceptionType: err instanceof DurableApiError ? err.exceptionType : err ? 'System.Exception' : undefined,
    StackTrace: null,
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > MAX_BODY_BYTES) throw new DurableApiError(413, 'Request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON body as JSON text (validated), or null when empty. */
function jsonBody(text: string): string | null {
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
  } catch (err) {
    throw new DurableApiError(
      400,
      `Invalid JSON content: ${describeError(err)}`,
      'Newtonsoft.Json.JsonReaderException',
    );
  }
  return text;
}

const bool = (q: URLSearchParams, name: string): boolean | undefined => {
  const v = q.get(name);
  return v === null
    ? undefined
    : v.toLowerCase() === 'true'
      ? true
      : v.toLowerCase() === 'false'
        ? false
        : undefined;
};

const date = (q: URLSearchParams, name: string): Date | undefined => {
  const v = q.get(name);
  if (v === null) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

function filterOf(q: URLSearchParams): InstanceFilter {
  const statuses = q
    .getAll('runtimeStatus')
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    createdTimeFrom: date(q, 'createdTimeFrom'),
    createdTimeTo: date(q, 'createdTimeTo'),
    runtimeStatus: statuses.length > 0 ? statuses : undefined,
    instanceIdPrefix: q.get('instanceIdPrefix') ?? undefined,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface DurableApiContext {
  engine: DurableEngine;
  hubName: string;
  connection: string;
}

/** Handles one request under WEBHOOK_PATH; false when the path is not the durable API's. */
export async function handleDurableRequest(
  api: DurableApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const raw = url.pathname;
  if (!raw.toLowerCase().startsWith(WEBHOOK_PATH)) return false;
  const rest = raw.slice(WEBHOOK_PATH.length);
  if (rest !== '' && !rest.startsWith('/')) return false;
  let segments: string[];
  try {
    segments = rest.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    sendError(res, 400, 'Malformed percent-encoding in path');
    return true;
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const q = url.searchParams;
  const origin = `${url.protocol}//${url.host}`;
  const { engine } = api;
  try {
    const [controller, first, second, third] = segments.map((s, i) => (i === 0 ? s.toLowerCase() : s));
    if (controller === 'orchestrators' && first && segments.length <= 3) {
      if (method !== 'POST') {
        send(res, 404);
        return true;
      }
      const input = jsonBody(await readBody(req));
      const id = await engine.startNew(first, second, input);
      const links = managementPayload(origin, api.hubName, api.connection, id);
      const timeout = Number(q.get('timeout'));
      const interval = Number(q.get('pollingInterval'));
      if (q.has('timeout') && q.has('pollingInterval') && timeout > 0 && interval > 0) {
        const deadline = Date.now() + timeout * 1000;
        for (;;) {
          const status = await engine.status(id);
          if (status?.runtimeStatus === 'Completed') {
            send(res, 200, status.output);
            return true;
          }
          if (status && TERMINAL.has(status.runtimeStatus)) {
            send(res, 200, status);
            return true;
          }
          if (Date.now() >= deadline) break;
          await sleep(Math.min(interval * 1000, Math.max(0, deadline - Date.now())));
        }
      }
      const { rewindPostUri: _rewind, ...checkStatus } = links;
      send(res, 202, checkStatus, { location: links.statusQueryGetUri, 'retry-after': '10' });
      return true;
    }

    if (controller === 'instances') {
      if (!first) {
        if (method === 'GET') {
          const list = await engine.list(filterOf(q), bool(q, 'showInput') ?? false);
          send(res, 200, list);
        } else if (method === 'DELETE') {
          const filter = filterOf(q);
          if (!filter.createdTimeFrom) {
            send(res, 400, "Please provide value for 'createdTimeFrom' parameter.");
          } else {
            const deleted = await engine.purgeBy({
              ...filter,
              createdTimeTo: filter.createdTimeTo ?? new Date(),
            });
            if (deleted === 0) send(res, 404);
            else send(res, 200, { instancesDeleted: deleted });
          }
        } else send(res, 404);
        return true;
      }
      if (!second) {
        if (method === 'GET') {
          const status = await engine.status(first, {
            showHistory: bool(q, 'showHistory'),
            showHistoryOutput: bool(q, 'showHistoryOutput'),
            showInput: bool(q, 'showInput'),
          });
          if (!status) {
            send(res, 404);
            return true;
          }
          const running =
            status.runtimeStatus === 'Running' ||
            status.runtimeStatus === 'Pending' ||
            status.runtimeStatus === 'Suspended' ||
            status.runtimeStatus === 'ContinuedAsNew';
          const failed500 =
            status.runtimeStatus === 'Failed' && bool(q, 'returnInternalServerErrorOnFailure') === true;
          send(
            res,
            running ? 202 : failed500 ? 500 : 200,
            status,
            running ? { location: url.href, 'retry-after': '5' } : {},
          );
        } else if (method === 'DELETE') {
          const deleted = await engine.purge(first);
          if (deleted === 0) send(res, 404);
          else send(res, 200, { instancesDeleted: deleted });
        } else send(res, 404);
        return true;
      }
      if (method !== 'POST') {
        send(res, 404);
        return true;
      }
      const operation = second?.toLowerCase();
      if (operation === 'raiseevent' && third && segments.length === 4) {
        const type = String(req.headers['content-type'] ?? '')
          .split(';')[0]
          ?.trim()
          .toLowerCase();
        if (type !== 'application/json') {
          sendError(res, 400, 'Only application/json request content is supported');
          return true;
        }
        const data = jsonBody(await readBody(req));
        const outcome = await engine.raiseEvent(first, third, data);
        send(res, outcome === 'missing' ? 404 : outcome === 'gone' ? 410 : 202);
        return true;
      }
      if (operation === 'terminate' && segments.length === 3) {
        const outcome = await engine.terminate(first, q.get('reason') ?? '');
        send(res, outcome === 'missing' ? 404 : outcome === 'gone' ? 410 : 202);
        return true;
      }
      if (
        operation === 'rewind' ||
        operation === 'restart' ||
        operation === 'suspend' ||
        operation === 'resume'
      ) {
        sendError(res, 501, `The ${operation} operation is not supported by the local host.`);
        return true;
      }
      send(res, 404);
      return true;
    }

    if (controller === 'entities') {
      sendError(res, 501, 'Durable entities are not supported by the local host.');
      return true;
    }
    send(res, 404);
    return true;
  } catch (err) {
    if (err instanceof DurableApiError) {
      const message =
        err.status === 400
          ? 'One or more of the arguments submitted is incorrect'
          : 'Something went wrong while processing your request';
      sendError(res, err.status, message, err);
    } else {
      sendError(
        res,
        500,
        'Something went wrong while processing your request',
        err instanceof Error ? err : new Error(String(err)),
      );
    }
    return true;
  }
}
