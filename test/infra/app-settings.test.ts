import fs from 'node:fs';
import path from 'node:path';
import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../functions/platform/http';
import { configSchema, loadConfig } from '../../shared/config';
import {
  DTS_CONNECTION_SETTING,
  parseDurableBackend,
  TASK_HUB_SETTING,
} from '../../scripts/function-package';
import { at, declaration, evaluate, prop, readBicep, walk, type Expr } from './bicep';

const repo = path.resolve(__dirname, '..', '..');
const main = readBicep(path.join(repo, 'infra', 'main.bicep'));
const functionApp = readBicep(path.join(repo, 'infra', 'modules', 'function-app.bicep'));
const keyVault = readBicep(path.join(repo, 'infra', 'modules', 'key-vault.bicep'));
const example: Record<string, string> = JSON.parse(
  fs.readFileSync(path.join(repo, 'local.settings.example.json'), 'utf8'),
).Values;

const schemaKeys = Object.keys(configSchema.shape);
const azureSettings = declaration(functionApp, 'var', 'azureSettings').value as Extract<
  Expr,
  { kind: 'object' }
>;
const dtsSettings = declaration(functionApp, 'var', 'durableTaskSchedulerSettings').value;
const localOnlyKeys = evaluate(
  declaration(functionApp, 'var', 'localOnlyKeys').value,
  functionApp,
) as string[];
const settingExpr = (key: string) => azureSettings.props.find((p) => p.key === key)?.value;

/** Keys of the object a `cond ? {…} : {}` var yields when cond holds. */
const keysWhenChosen = (expr: Expr) =>
  expr.kind === 'ternary' && expr.then.kind === 'object' ? expr.then.props.map((p) => p.key) : [];

/**
 * Config keys holding credentials: by name, and the connection string that embeds a password.
 * DATABASE_URL and the storage connection hold none in Azure: the app signs in with its identity
 * (identity.test.ts holds them to that).
 */
const secretKeys = schemaKeys.filter((k) => /(_KEY|_SECRET)$/.test(k) || k === 'MONGODB_URI');

/** The secret name a `keyVaultReference(vault, 'name')` or `optionalSecret(vault, 'name', …)` call reads. */
function referencedSecret(expr: Expr | undefined): string | undefined {
  if (expr?.kind !== 'call' || expr.callee.kind !== 'ident') return undefined;
  if (!['keyVaultReference', 'optionalSecret'].includes(expr.callee.name)) return undefined;
  const [vault, name] = expr.args;
  if (vault?.kind !== 'ident' || vault.name !== 'keyVaultName') return undefined;
  const value = name ? evaluate(name, functionApp) : undefined;
  return typeof value === 'string' ? value : undefined;
}

describe('app settings of the Function App', () => {
  it('start from local.settings.example.json, minus the keys that are not app settings in Azure', () => {
    const loaded = declaration(functionApp, 'var', 'exampleSettings').value;
    expect(loaded.kind === 'member' && loaded.name).toBe('Values');
    const call = loaded.kind === 'member' ? loaded.object : loaded;
    expect(call.kind === 'call' && call.callee.kind === 'ident' && call.callee.name).toBe('loadJsonContent');
    const file = call.kind === 'call' ? evaluate(call.args[0]!, functionApp) : undefined;
    if (typeof file !== 'string') throw new Error('loadJsonContent takes a literal path');
    expect(path.resolve(repo, 'infra', 'modules', file)).toBe(path.join(repo, 'local.settings.example.json'));
    // defaults = the example's settings whose key is not in localOnlyKeys.
    const defaults = [...walk(declaration(functionApp, 'var', 'defaults').value)];
    expect(
      defaults.some(
        (e) =>
          e.kind === 'call' &&
          e.callee.kind === 'ident' &&
          e.callee.name === 'items' &&
          e.args[0]?.kind === 'ident' &&
          e.args[0].name === 'exampleSettings',
      ),
    ).toBe(true);
    expect(
      defaults.some(
        (e) =>
          e.kind === 'unary' &&
          e.op === '!' &&
          e.operand.kind === 'call' &&
          e.operand.callee.kind === 'ident' &&
          e.operand.callee.name === 'contains' &&
          e.operand.args[0]?.kind === 'ident' &&
          e.operand.args[0].name === 'localOnlyKeys',
      ),
    ).toBe(true);
  });

  it("let Azure's own settings win over the operator's overrides, and are the only list the app gets", () => {
    const union = declaration(functionApp, 'var', 'appSettings').value;
    expect(union.kind === 'call' && union.args.map((a) => (a.kind === 'ident' ? a.name : '?'))).toEqual([
      'defaults',
      'appSettingOverrides',
      'azureSettings',
      'durableTaskSchedulerSettings',
    ]);
    const site = declaration(functionApp, 'module', 'site');
    const config = (at(site.value, 'params', 'configs') as Extract<Expr, { kind: 'array' }>).items[0]!;
    expect(evaluate(at(config, 'name'), functionApp)).toBe('appsettings');
    expect(evaluate(at(config, 'retainCurrentAppSettings'), functionApp)).toBe(false);
    expect(at(config, 'properties')).toMatchObject({ kind: 'ident', name: 'appSettings' });
  });

  it("set every key the config schema reads, except the local host's and the platform's own", () => {
    const inAzure = new Set([
      ...Object.keys(example).filter((k) => !localOnlyKeys.includes(k)),
      ...azureSettings.props.map((p) => p.key),
    ]);
    const notSet = schemaKeys.filter((k) => !inAzure.has(k));
    // PORT and DATA_DIR configure the local host; Azure sets WEBSITE_INSTANCE_ID on each instance.
    // Storage is reached by account name with the system-assigned identity: no connection string,
    // no service URIs (the name stands for them), no user-assigned client id.
    expect(notSet.sort()).toEqual(
      [
        'DATA_DIR',
        'PORT',
        'WEBSITE_INSTANCE_ID',
        'AzureWebJobsStorage',
        'AzureWebJobsStorage__blobServiceUri',
        'AzureWebJobsStorage__queueServiceUri',
        'AzureWebJobsStorage__clientId',
      ].sort(),
    );
  });

  it('leave out the settings Flex Consumption refuses', () => {
    const all = [
      ...Object.keys(example).filter((k) => !localOnlyKeys.includes(k)),
      ...azureSettings.props.map((p) => p.key),
    ];
    for (const refused of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_NODE_DEFAULT_VERSION',
    ]) {
      expect(all).not.toContain(refused);
    }
  });

  it('read every secret through a Key Vault reference, never a value', () => {
    expect(secretKeys).toEqual(
      expect.arrayContaining([
        'OPENROUTER_API_KEY',
        'STRIPE_SECRET_KEY',
        'STRIPE_WEBHOOK_SECRET',
        'GOOGLE_CLIENT_SECRET',
        'MICROSOFT_CLIENT_SECRET',
        'MONGODB_URI',
      ]),
    );
    const unreferenced = secretKeys.filter((k) => referencedSecret(settingExpr(k)) === undefined);
    expect(unreferenced).toEqual([]);
    // The reference is the documented syntax; an optional secret not given is an empty setting.
    const ref = declaration(functionApp, 'func', 'keyVaultReference').body;
    expect(ref.kind === 'string' && ref.parts.filter((p) => typeof p === 'string')).toEqual([
      '@Microsoft.KeyVault(VaultName=',
      ';SecretName=',
      ')',
    ]);
    const optional = declaration(functionApp, 'func', 'optionalSecret').body;
    expect(
      optional.kind === 'ternary' && [
        optional.then.kind === 'call' && optional.then.callee,
        evaluate(optional.else, functionApp),
      ],
    ).toEqual([{ kind: 'ident', name: 'keyVaultReference', line: expect.any(Number) }, '']);
    // And nothing secret is in the example file the defaults come from.
    for (const k of secretKeys) expect(example[k] === undefined || example[k] === '').toBe(true);
  });

  it('name only secrets the vault holds: the optional ones main.bicep passes, none for storage or the database', () => {
    const always = keyVault.statements.flatMap((s) =>
      s.kind === 'resource' &&
      s.type.startsWith('Microsoft.KeyVault/vaults/secrets@') &&
      s.value.kind === 'object'
        ? [evaluate(at(s.value, 'name'), keyVault)]
        : [],
    );
    expect(always).toEqual([]);
    const optional = declaration(main, 'var', 'secrets').value as Extract<Expr, { kind: 'object' }>;
    const secureParams = new Set(
      main.statements.flatMap((s) =>
        s.kind === 'param' && s.decorators.some((d) => d.name === 'secure') ? [s.name] : [],
      ),
    );
    for (const p of optional.props)
      expect(p.value.kind === 'ident' && secureParams.has(p.value.name)).toBe(true);
    const named = secretKeys.map((k) => referencedSecret(settingExpr(k))!);
    expect(named.filter((n) => !always.includes(n) && !optional.props.some((p) => p.key === n))).toEqual([]);
  });

  it('give the app the address Front Door saw, in the header the app reads', () => {
    const header = evaluate(settingExpr('CLIENT_IP_HEADER')!, functionApp);
    expect(header).toBe('X-Azure-ClientIP');
    const req = new HttpRequest({
      method: 'GET',
      url: 'https://gm.example/api/health',
      headers: { 'x-azure-clientip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1, 10.0.0.4' },
    });
    expect(clientAddress(req, header as string)).toBe('203.0.113.7');
  });

  it('give the app its one origin: the Front Door endpoint unless a custom domain is given', () => {
    expect(settingExpr('PUBLIC_BASE_URL')).toMatchObject({ kind: 'ident', name: 'publicBaseUrl' });
    const origin = declaration(main, 'var', 'origin').value;
    expect(origin.kind).toBe('ternary');
    const fallback = origin.kind === 'ternary' ? origin.then : origin;
    expect(fallback.kind === 'string' && fallback.parts[0]).toBe('https://');
    const host = fallback.kind === 'string' ? fallback.parts[1] : undefined;
    expect(host).toMatchObject({ kind: 'member', name: 'endpointHostName' });
    expect(at(declaration(main, 'module', 'functionApp').value, 'params', 'publicBaseUrl')).toMatchObject({
      name: 'origin',
    });
  });

  it('give the app a database URL without a password, its identity as the user, and TLS verified', () => {
    const url = settingExpr('DATABASE_URL')!;
    expect(url.kind).toBe('string');
    const parts = url.kind === 'string' ? url.parts : [];
    expect(parts[0]).toBe('postgresql://');
    // The user, then straight to '@': no ':password' between them.
    expect(parts[1]).toMatchObject({ kind: 'ident', name: 'appName' });
    expect(parts[2]).toBe('@');
    expect(parts.at(-1)).toMatch(/\?sslmode=verify-full$/);
    expect(evaluate(settingExpr('DATABASE_AUTH')!, functionApp)).toBe('entra');
    // The shape the app accepts for Entra sign-in (shared/config.ts refuses a password or no user).
    const sample = parts
      .map((p) => (typeof p === 'string' ? p : p.kind === 'ident' ? `{${p.name}}` : '?'))
      .join('')
      .replace('{appName}', 'func-abc123')
      .replace('{postgresHost}', 'psql-abc123.postgres.database.azure.com')
      .replace('{postgresDatabaseName}', 'gloriamundo');
    expect(loadConfig({ DATABASE_URL: sample, DATABASE_AUTH: 'entra' }).DATABASE_URL).toBe(
      'postgresql://func-abc123@psql-abc123.postgres.database.azure.com:5432/gloriamundo?sslmode=verify-full',
    );
  });

  it('accept every vector store and Durable backend the parameters allow', () => {
    const allowed = (name: string) =>
      evaluate(
        declaration(main, 'param', name).decorators.find((d) => d.name === 'allowed')!.args[0]!,
        main,
      ) as string[];
    for (const store of allowed('vectorStore'))
      expect(loadConfig({ VECTOR_STORE: store }).VECTOR_STORE).toBe(store);
    expect(allowed('vectorStore').sort()).toEqual(['mongodb', 'pgvector']);
    for (const backend of allowed('durableBackend')) expect(parseDurableBackend(backend)).toBe(backend);
  });

  it('configure the Durable Task Scheduler in the two settings the packaged host.json reads', () => {
    expect(keysWhenChosen(dtsSettings).sort()).toEqual([DTS_CONNECTION_SETTING, TASK_HUB_SETTING].sort());
    const cond = dtsSettings.kind === 'ternary' ? dtsSettings.cond : undefined;
    expect(cond && cond.kind === 'binary' && [cond.op, evaluate(cond.right, functionApp)]).toEqual([
      '==',
      'dts',
    ]);
    const connection =
      dtsSettings.kind === 'ternary' ? prop(dtsSettings.then, DTS_CONNECTION_SETTING) : undefined;
    // Identity, not a key: the app's system-assigned identity holds Durable Task Data Contributor.
    expect(connection?.kind === 'string' && connection.parts.at(-1)).toBe(';Authentication=ManagedIdentity');
  });

  it('send telemetry to Application Insights with the app identity, local auth off', () => {
    expect(settingExpr('APPLICATIONINSIGHTS_CONNECTION_STRING')).toMatchObject({ kind: 'ident' });
    expect(evaluate(settingExpr('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')!, functionApp)).toBe(
      'Authorization=AAD',
    );
    const monitoring = readBicep(path.join(repo, 'infra', 'modules', 'monitoring.bicep'));
    const insights = monitoring.statements.find(
      (s) => s.kind === 'resource' && s.type.startsWith('Microsoft.Insights/components@'),
    );
    expect(
      insights &&
        insights.kind === 'resource' &&
        evaluate(at(insights.value, 'properties', 'DisableLocalAuth'), monitoring),
    ).toBe(true);
  });

  it('run Node 22 on Flex Consumption with a system-assigned identity', () => {
    const site = declaration(functionApp, 'module', 'site').value;
    expect(evaluate(at(site, 'params', 'functionAppConfig', 'runtime'), functionApp)).toEqual({
      name: 'node',
      version: '22',
    });
    expect(evaluate(at(site, 'params', 'managedIdentities'), functionApp)).toEqual({ systemAssigned: true });
    expect(
      evaluate(at(declaration(functionApp, 'module', 'plan').value, 'params', 'skuName'), functionApp),
    ).toBe('FC1');
    const ready = at(site, 'params', 'functionAppConfig', 'scaleAndConcurrency', 'alwaysReady');
    const group = ready.kind === 'ternary' && ready.then.kind === 'array' ? ready.then.items[0] : undefined;
    expect(group && evaluate(at(group, 'name'), functionApp)).toBe('http');
  });

  it('take as many streams an instance as the deploy says, and hold the database connections it says', () => {
    const site = declaration(functionApp, 'module', 'site').value;
    expect(
      at(
        site,
        'params',
        'functionAppConfig',
        'scaleAndConcurrency',
        'triggers',
        'http',
        'perInstanceConcurrency',
      ),
    ).toMatchObject({ kind: 'ident', name: 'httpPerInstanceConcurrency' });
    expect(settingExpr('DB_POOL_MAX')).toMatchObject({ kind: 'call' });
    const module = declaration(main, 'module', 'functionApp').value;
    for (const name of ['httpPerInstanceConcurrency', 'databasePoolMax'])
      expect(at(module, 'params', name)).toMatchObject({ kind: 'ident', name });
    const byDefault = (name: string) => {
      const value = declaration(main, 'param', name).value;
      return value ? evaluate(value, main) : undefined;
    };
    expect(byDefault('httpPerInstanceConcurrency')).toBe(16);
    expect(byDefault('databasePoolMax')).toBe(4);
  });
});
