import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registration } from '../../dev/host/core-shim';
import { serveStatic, WEB_SECURITY_HEADERS } from '../../dev/host/static';
import { loadConfig } from '../../shared/config';
import { httpRoutes, loadRegistrations } from '../../scripts/registrations';
import { webFileHeaders } from '../../scripts/web-upload';
import { at, declaration, evaluate, prop, readBicep, resourcesOfType, UNKNOWN, type Value } from './bicep';

const repo = path.resolve(__dirname, '..', '..');
const routes = readBicep(path.join(repo, 'infra', 'modules', 'front-door-routes.bicep'));
const profile = readBicep(path.join(repo, 'infra', 'modules', 'front-door-profile.bicep'));
const main = readBicep(path.join(repo, 'infra', 'main.bicep'));
const functionApp = readBicep(path.join(repo, 'infra', 'modules', 'function-app.bicep'));
const hostJson = JSON.parse(fs.readFileSync(path.join(repo, 'host.json'), 'utf8'));

const byName = (type: string, name: string) => {
  const found = resourcesOfType(routes, type).find((r) => evaluate(at(r.value, 'name'), routes) === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
const idOf = (expr: Value | undefined) => expr;

describe('Front Door routes: one origin', () => {
  it('sends /api/* to the Function App and everything else to the static website', () => {
    const api = byName('Microsoft.Cdn/profiles/afdEndpoints/routes', 'api');
    const web = byName('Microsoft.Cdn/profiles/afdEndpoints/routes', 'web');
    expect(evaluate(at(api.value, 'properties', 'patternsToMatch'), routes)).toEqual([
      `/${hostJson.extensions.http.routePrefix}/*`,
    ]);
    expect(evaluate(at(web.value, 'properties', 'patternsToMatch'), routes)).toEqual(['/*']);
    const groupOf = (route: typeof api) => {
      const id = at(route.value, 'properties', 'originGroup', 'id');
      return id.kind === 'member' && id.object.kind === 'ident' ? id.object.name : '';
    };
    const originHost = (group: string) => {
      const origin = resourcesOfType(routes, 'Microsoft.Cdn/profiles/originGroups/origins').find(
        (o) =>
          prop(o.value, 'parent')?.kind === 'ident' &&
          (prop(o.value, 'parent') as { name: string }).name === group,
      );
      return at(origin!.value, 'properties', 'hostName');
    };
    expect(originHost(groupOf(api))).toMatchObject({ kind: 'ident', name: 'functionAppHostName' });
    expect(originHost(groupOf(web))).toMatchObject({ kind: 'ident', name: 'staticWebsiteHostName' });
    const params = at(declaration(main, 'module', 'frontDoorRoutes').value, 'params');
    expect(at(params, 'functionAppHostName')).toMatchObject({ kind: 'member', name: 'defaultHostName' });
    expect(at(params, 'staticWebsiteHostName')).toMatchObject({
      kind: 'member',
      name: 'staticWebsiteHostName',
    });
    // Nothing under /api is cached or compressed at the edge: streamed replies pass as written.
    expect(prop(at(api.value, 'properties'), 'cacheConfiguration')).toBeUndefined();
    expect(idOf(evaluate(at(api.value, 'properties', 'forwardingProtocol'), routes))).toBe('HttpsOnly');
  });

  it('waits longer for the origin than the longest streamed reply', () => {
    const [p] = resourcesOfType(profile, 'Microsoft.Cdn/profiles');
    const timeout = evaluate(at(p!.value, 'properties', 'originResponseTimeoutSeconds'), profile) as number;
    expect(timeout).toBeGreaterThan(loadConfig({}).STREAM_DEADLINE_SECONDS);
    expect(timeout).toBeLessThanOrEqual(240);
  });

  it('admits only Front Door (by its id) and Event Grid at the Function App', () => {
    const site = declaration(functionApp, 'module', 'site').value;
    const config = at(site, 'params', 'siteConfig');
    expect(evaluate(at(config, 'ipSecurityRestrictionsDefaultAction'), functionApp)).toBe('Deny');
    const rules = evaluate(at(config, 'ipSecurityRestrictions'), functionApp) as Record<string, Value>[];
    expect(rules.map((r) => [r.ipAddress, r.action])).toEqual([
      ['AzureFrontDoor.Backend', 'Allow'],
      ['AzureEventGrid', 'Allow'],
    ]);
    const fdid = at(config, 'ipSecurityRestrictions');
    const headers = fdid.kind === 'array' ? prop(fdid.items[0]!, 'headers') : undefined;
    expect(headers && prop(headers, 'x-azure-fdid')).toMatchObject({
      kind: 'array',
      items: [{ kind: 'ident', name: 'frontDoorId' }],
    });
  });

  let registrations: Registration[];
  beforeAll(async () => {
    registrations = await loadRegistrations(() => import('../../functions/index.js'));
  });

  it('probes GET /api/health when probing is on, a route the app registers', () => {
    const group = byName('Microsoft.Cdn/profiles/originGroups', 'api');
    const probe = at(group.value, 'properties', 'healthProbeSettings');
    expect(probe.kind).toBe('ternary');
    const settings = probe.kind === 'ternary' ? (evaluate(probe.then, routes) as Record<string, Value>) : {};
    expect([settings.probePath, settings.probeRequestType, settings.probeProtocol]).toEqual([
      '/api/health',
      'GET',
      'Https',
    ]);
    const health = httpRoutes(registrations).find(
      (r) => `/${hostJson.extensions.http.routePrefix}/${r.route}` === settings.probePath,
    );
    expect(health?.methods).toContain('GET');
  });
});

// ---------------------------------------------------------------------------------------------
// The web route's rules, run over requests the way Front Door runs them: every rule whose
// conditions all hold applies its actions in order; conditions read the request as it arrived;
// a URL rewrite changes what is fetched from the origin; header actions edit the response.

interface Rule {
  order: number;
  conditions: { name: string; operator: string; negate: boolean; values: string[] }[];
  actions: { name: string; parameters: Record<string, Value> }[];
}

function webRules(): Rule[] {
  const rules = resourcesOfType(routes, 'Microsoft.Cdn/profiles/ruleSets/rules').map((r) => {
    const props = evaluate(at(r.value, 'properties'), routes) as Record<string, Value>;
    if (JSON.stringify(props, (_k, v: unknown) => (v === UNKNOWN ? 'UNKNOWN' : v)).includes('UNKNOWN')) {
      throw new Error(`rule on line ${r.line} is not static`);
    }
    return {
      order: props.order as number,
      conditions: (props.conditions as Record<string, Value>[]).map((c) => {
        const p = c.parameters as Record<string, Value>;
        return {
          name: c.name as string,
          operator: p.operator as string,
          negate: Boolean(p.negateCondition),
          values: (p.matchValues ?? []) as string[],
        };
      }),
      actions: (props.actions as Record<string, Value>[]).map((a) => ({
        name: a.name as string,
        parameters: a.parameters as Record<string, Value>,
      })),
    };
  });
  return rules.sort((a, b) => a.order - b.order);
}

function conditionHolds(c: Rule['conditions'][number], requestPath: string): boolean {
  // Front Door's path has no leading slash; the extension is the last segment's, without the dot.
  const urlPath = requestPath.replace(/^\//, '');
  const last = urlPath.split('/').pop() ?? '';
  const extension = last.includes('.') ? last.slice(last.lastIndexOf('.') + 1) : '';
  const subject = c.name === 'UrlPath' ? urlPath : c.name === 'UrlFileExtension' ? extension : undefined;
  if (subject === undefined) throw new Error(`condition ${c.name} is not simulated`);
  let holds: boolean;
  if (c.operator === 'Any') holds = subject !== '';
  else if (c.operator === 'BeginsWith') holds = c.values.some((v) => subject.startsWith(v));
  else if (c.operator === 'Equal') holds = c.values.includes(subject);
  else throw new Error(`operator ${c.operator} is not simulated`);
  return c.negate ? !holds : holds;
}

/** What a browser gets for `requestPath` through Front Door from the uploaded build. */
function throughFrontDoor(
  requestPath: string,
  dist: string,
): { file: string; headers: Record<string, string> } {
  let originPath = requestPath === '/' ? '/index.html' : requestPath;
  const responseEdits: [string, string][] = [];
  for (const rule of webRules()) {
    if (!rule.conditions.every((c) => conditionHolds(c, requestPath))) continue;
    for (const action of rule.actions) {
      const p = action.parameters;
      if (action.name === 'UrlRewrite') originPath = p.destination as string;
      else if (action.name === 'ModifyResponseHeader' && p.headerAction === 'Overwrite') {
        responseEdits.push([(p.headerName as string).toLowerCase(), p.value as string]);
      } else if (action.name !== 'RouteConfigurationOverride')
        throw new Error(`action ${action.name} is not simulated`);
    }
  }
  const file = originPath.replace(/^\//, '');
  if (!fs.existsSync(path.join(dist, file)))
    return { file: '(404)', headers: Object.fromEntries(responseEdits) };
  // The origin is $web, whose blobs carry the headers the deploy script gave them.
  const blob = webFileHeaders(file);
  const headers: Record<string, string> = {
    'content-type': blob.contentType,
    'cache-control': blob.cacheControl,
  };
  for (const [name, value] of responseEdits) headers[name] = value;
  return { file, headers };
}

describe('the web route serves the SPA as the local host does', () => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-fd-'));
  const files: Record<string, string> = {
    'index.html': '<!doctype html>shell',
    'assets/index-3f2a9c.js': 'app',
    'assets/index-77aa01.css': 'css',
    'favicon.svg': '<svg/>',
    'manifest.webmanifest': '{}',
    'sw.js': 'sw',
  };
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dist, name)), { recursive: true });
    fs.writeFileSync(path.join(dist, name), text);
  }
  let base = '';
  const server = http.createServer((req, res) => {
    void serveStatic(req, res, dist, new URL(req.url ?? '/', 'http://x').pathname);
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
  });

  const paths = [
    '/',
    '/index.html',
    '/c/0b1f4f2e',
    '/s/share-id',
    '/settings',
    '/assets/index-3f2a9c.js',
    '/assets/index-77aa01.css',
    '/assets/unknown-route',
    '/favicon.svg',
    '/manifest.webmanifest',
    '/sw.js',
  ];

  it.each(paths)('%s: the same file, cache header and security headers', async (requestPath) => {
    const res = await fetch(`${base}${requestPath}`);
    const body = await res.text();
    const local = {
      file: Object.entries(files).find(([, text]) => text === body)?.[0] ?? '(404)',
      headers: Object.fromEntries(
        ['content-type', 'cache-control', ...Object.keys(WEB_SECURITY_HEADERS)].map((h) => [
          h,
          res.headers.get(h),
        ]),
      ),
    };
    const frontDoor = throughFrontDoor(requestPath, dist);
    expect({
      file: frontDoor.file,
      headers: Object.fromEntries(Object.keys(local.headers).map((h) => [h, frontDoor.headers[h] ?? null])),
    }).toEqual(local);
  });

  it('a missing hashed file is a 404, not the app shell cached for a year', () => {
    expect(throughFrontDoor('/assets/gone-1234.js', dist).file).toBe('(404)');
    expect(throughFrontDoor('/assets/unknown-route', dist).headers['cache-control']).toBe('no-cache');
  });
});
