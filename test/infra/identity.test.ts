/**
 * The deployment signs in with identities: no storage key or connection string and no database
 * password reaches the app (or exists: the account takes no keys, the server no passwords), and
 * the roles cover what the host, the app and the deployer do with them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config';
import { storageConnection } from '../../shared/storage/connection';
import { credentialChoice } from '../../shared/storage/credential';
import { deploy } from '../../scripts/deploy';
import { WEB_CONTAINER } from '../../scripts/web-upload';
import {
  fakeEntra,
  startOAuthAzurite,
  trustAnyCertificateForTheSdk,
  type OAuthAzurite,
} from '../helpers/oauth-azurite';
import { at, declaration, evaluate, readBicep, resourcesOfType, walk, type Expr } from './bicep';

const repo = path.resolve(__dirname, '..', '..');
const infra = path.join(repo, 'infra');
const read = (file: string) => readBicep(path.join(infra, file));
const main = read('main.bicep');
const functionApp = read(path.join('modules', 'function-app.bicep'));
const access = read(path.join('modules', 'access.bicep'));
const storage = read(path.join('modules', 'storage.bicep'));
const postgres = read(path.join('modules', 'postgres.bicep'));
const postgresIdentity = read(path.join('modules', 'postgres-app-identity.bicep'));
const bicepFiles = fs
  .readdirSync(infra, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.bicep'));

const azureSettings = declaration(functionApp, 'var', 'azureSettings').value as Extract<
  Expr,
  { kind: 'object' }
>;
const setting = (key: string) => azureSettings.props.find((p) => p.key === key)?.value;
const localOnlyKeys = evaluate(
  declaration(functionApp, 'var', 'localOnlyKeys').value,
  functionApp,
) as string[];
const example: Record<string, string> = JSON.parse(
  fs.readFileSync(path.join(repo, 'local.settings.example.json'), 'utf8'),
).Values;

/** Built-in role ids, as Azure documents them (the same in every tenant). */
const BUILT_IN = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
};

/** The role assignments of access.bicep: role id, who, on what, and under which condition. */
function assignments() {
  const roles = evaluate(declaration(access, 'var', 'roles').value, access) as Record<string, string>;
  return resourcesOfType(access, 'Microsoft.Authorization/roleAssignments').map((r) => {
    const body = r.value.kind === 'if' ? r.value.body : r.value;
    const roleDef = at(body, 'properties', 'roleDefinitionId');
    const roleKey = [...walk(roleDef)].find((e) => e.kind === 'member' && e.object.kind === 'ident')!;
    const principal = at(body, 'properties', 'principalId');
    const scope = at(body, 'scope');
    return {
      role: roles[roleKey.kind === 'member' ? roleKey.name : '']!,
      principal: principal.kind === 'ident' ? principal.name : '?',
      scope: scope.kind === 'ident' ? scope.name : '?',
      condition: r.value.kind === 'if' ? r.value.cond : undefined,
    };
  });
}

describe('what the app is given', () => {
  it('no storage connection string: the account name and the managed identity, as the host reads them', () => {
    expect(setting('AzureWebJobsStorage')).toBeUndefined();
    // And the example's Azurite connection string is not copied in as a default.
    expect(localOnlyKeys).toContain('AzureWebJobsStorage');
    expect(example.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
    expect(setting('AzureWebJobsStorage__accountName')).toMatchObject({
      kind: 'ident',
      name: 'storageAccountName',
    });
    expect(evaluate(setting('AzureWebJobsStorage__credential')!, functionApp)).toBe('managedidentity');
    expect(
      at(declaration(main, 'module', 'functionApp').value, 'params', 'storageAccountName'),
    ).toMatchObject({
      kind: 'member',
      name: 'name',
    });
    // What the app makes of those settings: storage as its system-assigned managed identity.
    const config = loadConfig({
      AzureWebJobsStorage__accountName: 'stabc123',
      AzureWebJobsStorage__credential: 'managedidentity',
    });
    expect(storageConnection(config, () => ({ getToken: () => Promise.resolve(null) }))).toMatchObject({
      kind: 'identity',
      blobServiceUri: 'https://stabc123.blob.core.windows.net',
    });
    expect(credentialChoice(config)).toEqual({ kind: 'managed-identity', clientId: undefined });
  });

  it('no setting, secret or output anywhere reads a storage key (listKeys)', () => {
    for (const file of bicepFiles) {
      const calls = read(file).statements.flatMap((s) =>
        'value' in s && s.value
          ? [...walk(s.value)].filter((e) => e.kind === 'member' && /^listKeys$/i.test(e.name))
          : [],
      );
      expect({ file, listKeys: calls.length }).toEqual({ file, listKeys: 0 });
    }
  });

  it('no database password: none is a parameter, the server takes none, the URL carries none', () => {
    for (const file of bicepFiles) {
      const params = read(file).statements.flatMap((s) =>
        s.kind === 'param' && /password/i.test(s.name) ? [s.name] : [],
      );
      expect({ file, params }).toEqual({ file, params: [] });
    }
    const [server] = resourcesOfType(postgres, 'Microsoft.DBforPostgreSQL/flexibleServers');
    expect(evaluate(at(server!.value, 'properties', 'authConfig'), postgres)).toMatchObject({
      activeDirectoryAuth: 'Enabled',
      passwordAuth: 'Disabled',
    });
    const props = at(server!.value, 'properties');
    expect(props.kind === 'object' && props.props.map((p) => p.key)).not.toContain(
      'administratorLoginPassword',
    );
    const params = JSON.parse(fs.readFileSync(path.join(infra, 'main.parameters.json'), 'utf8'))
      .parameters as object;
    expect(Object.keys(params).filter((k) => /password/i.test(k))).toEqual([]);
  });

  it("the database user in DATABASE_URL is the Entra administrator the app's identity is made", () => {
    const url = setting('DATABASE_URL')!;
    expect(url.kind === 'string' && url.parts[1]).toMatchObject({ kind: 'ident', name: 'appName' });
    const site = declaration(functionApp, 'module', 'site').value;
    expect(at(site, 'params', 'name')).toMatchObject({ kind: 'ident', name: 'appName' });
    // main.bicep hands that same site name, and its identity, to the administrator.
    const params = at(declaration(main, 'module', 'postgresIdentity').value, 'params');
    expect(at(params, 'appName')).toMatchObject({ kind: 'member', name: 'name' });
    expect(at(params, 'appPrincipalId')).toMatchObject({ kind: 'member', name: 'principalId' });
    const [admin] = resourcesOfType(
      postgresIdentity,
      'Microsoft.DBforPostgreSQL/flexibleServers/administrators',
    );
    expect(at(admin!.value, 'name')).toMatchObject({ kind: 'ident', name: 'appPrincipalId' });
    expect(at(admin!.value, 'properties', 'principalName')).toMatchObject({ kind: 'ident', name: 'appName' });
    expect(evaluate(at(admin!.value, 'properties', 'principalType'), postgresIdentity)).toBe(
      'ServicePrincipal',
    );
  });
});

describe('what the identities may do', () => {
  it('the account takes no keys, so nothing can fall back to one', () => {
    const [account] = resourcesOfType(storage, 'Microsoft.Storage/storageAccounts');
    expect(evaluate(at(account!.value, 'properties', 'allowSharedKeyAccess'), storage)).toBe(false);
  });

  it('the app holds blob data (owner: also user delegation keys for upload links) and queue data roles', () => {
    const onStorage = assignments().filter(
      (a) => a.principal === 'appPrincipalId' && a.scope === 'storageAccount',
    );
    expect(
      onStorage
        .filter((a) => !a.condition)
        .map((a) => a.role)
        .sort(),
    ).toEqual([BUILT_IN['Storage Blob Data Owner'], BUILT_IN['Storage Queue Data Contributor']].sort());
  });

  it('and table data only for the Durable storage backend, which keeps its history in tables', () => {
    const tables = assignments().find((a) => a.role === BUILT_IN['Storage Table Data Contributor']);
    expect(tables).toMatchObject({ principal: 'appPrincipalId', scope: 'storageAccount' });
    expect(tables?.condition).toMatchObject({ kind: 'ident', name: 'durableStorageBackend' });
    const passed = at(declaration(main, 'module', 'access').value, 'params', 'durableStorageBackend');
    expect(passed.kind === 'binary' && [passed.op, evaluate(passed.right, main)]).toEqual(['==', 'storage']);
  });
});

describe("the deploy script's web upload, as the deployer's identity (Azurite with OAuth)", () => {
  let azurite: OAuthAzurite;
  let untrust: () => void;
  beforeAll(async () => {
    azurite = await startOAuthAzurite();
    untrust = trustAnyCertificateForTheSdk();
  });
  afterAll(async () => {
    untrust?.();
    await azurite?.stop();
  });

  function builtSpa(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-deploy-id-'));
    fs.mkdirSync(path.join(root, 'web', 'dist', 'assets'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'web', 'dist', 'index.html'),
      '<!doctype html><title>GloriaMundo</title>',
    );
    fs.writeFileSync(path.join(root, 'web', 'dist', 'assets', 'index-3f2a9c.js'), 'console.log("app")');
    return root;
  }

  it('waits while storage refuses the identity (a role still applying), then uploads', async () => {
    const lines: string[] = [];
    // Two refused sign-ins (an expired token is what Azurite refuses), then a good one.
    const report = await deploy({
      root: builtSpa(),
      steps: ['web'],
      dryRun: false,
      env: { AZURE_STORAGE_BLOB_ENDPOINT: `${azurite.blobServiceUri}/` },
      log: (line) => lines.push(line),
      credential: fakeEntra([-600, -600]),
      roleWait: { attempts: 5, delayMs: 1 },
    });
    expect(report.web?.uploaded.map((f) => f.name).sort()).toEqual(['assets/index-3f2a9c.js', 'index.html']);
    expect(lines.filter((l) => /storage refused this identity/.test(l))).toHaveLength(2);
    const web = new BlobServiceClient(azurite.blobServiceUri, fakeEntra()).getContainerClient(WEB_CONTAINER);
    expect((await web.getBlobClient('index.html').getProperties()).cacheControl).toBe('no-cache');
  });

  it('gives up naming the role to hold, instead of reaching for a key', async () => {
    await expect(
      deploy({
        root: builtSpa(),
        steps: ['web'],
        dryRun: false,
        env: { AZURE_STORAGE_BLOB_ENDPOINT: `${azurite.blobServiceUri}/` },
        log: () => undefined,
        credential: fakeEntra([-600, -600, -600]),
        roleWait: { attempts: 3, delayMs: 1 },
      }),
    ).rejects.toThrow(/Storage Blob Data Contributor .*AZURE_PRINCIPAL_ID/);
  });
});
