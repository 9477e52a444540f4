import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { readBicep } from './bicep';

const repo = path.resolve(__dirname, '..', '..');
const doc = parseDocument(fs.readFileSync(path.join(repo, 'azure.yaml'), 'utf8'), { prettyErrors: true });
const azd = doc.toJS() as {
  name: string;
  infra: { provider: string; path: string; module: string };
  hooks: Record<string, Record<string, { shell: string; run: string }>>;
  services?: unknown;
};
const main = readBicep(path.join(repo, 'infra', 'main.bicep'));

describe('azure.yaml', () => {
  it('is valid YAML naming the project and the Bicep entry point', () => {
    expect(doc.errors).toEqual([]);
    expect(azd.name).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
    expect(azd.infra.provider).toBe('bicep');
    expect(fs.existsSync(path.join(repo, azd.infra.path, `${azd.infra.module}.bicep`))).toBe(true);
    expect(fs.existsSync(path.join(repo, azd.infra.path, `${azd.infra.module}.parameters.json`))).toBe(true);
  });

  it('deploys the code after provisioning, on every platform, through scripts that exist', () => {
    const hook = azd.hooks.postprovision!;
    expect(Object.keys(hook).sort()).toEqual(['posix', 'windows']);
    for (const { run } of Object.values(hook)) expect(fs.existsSync(path.join(repo, run))).toBe(true);
    expect(fs.statSync(path.join(repo, hook.posix!.run)).mode & 0o111).not.toBe(0);
  });

  it('its hook compiles the deploy script where it then runs it from', () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(repo, 'scripts', 'tsconfig.json'), 'utf8'));
    const compiled = path
      .join(
        path.relative(repo, path.resolve(repo, 'scripts', tsconfig.compilerOptions.outDir)),
        'scripts',
        'deploy.js',
      )
      .split(path.sep)
      .join('/');
    for (const script of ['deploy.sh', 'deploy.ps1']) {
      const text = fs.readFileSync(path.join(repo, 'scripts', script), 'utf8');
      expect(text).toContain('npx tsc -p scripts/tsconfig.json');
      expect(text).toContain(`node ${compiled}`);
    }
  });

  it('the compiled deploy script runs and refuses an unknown argument with its usage', () => {
    const tsc = spawnSync('npx', ['tsc', '-p', 'scripts/tsconfig.json'], { cwd: repo, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    const run = spawnSync('node', ['dist/deploy-tools/scripts/deploy.js', '--no-such-flag'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Usage: deploy/);
  }, 120_000);
});

describe('infra/main.parameters.json', () => {
  const params = JSON.parse(fs.readFileSync(path.join(repo, 'infra', 'main.parameters.json'), 'utf8'))
    .parameters as Record<string, unknown>;
  const declared = main.statements.flatMap((s) => (s.kind === 'param' ? [s] : []));

  it('sets only parameters main.bicep declares, and every one it requires', () => {
    expect(Object.keys(params).filter((k) => !declared.some((p) => p.name === k))).toEqual([]);
    const requiredParams = declared.filter((p) => p.value === undefined).map((p) => p.name);
    expect(requiredParams.filter((p) => !(p in params))).toEqual([]);
  });

  it('the outputs the deploy script reads are outputs of main.bicep (azd or the shell set the rest)', () => {
    const source = ['deploy.ts', 'azure.ts']
      .map((f) => fs.readFileSync(path.join(repo, 'scripts', f), 'utf8'))
      .join('\n');
    const read = [...new Set([...source.matchAll(/'((?:AZURE|DURABLE)_[A-Z_]+)'/g)].map((m) => m[1]!))];
    const outputs = main.statements.flatMap((s) => (s.kind === 'output' ? [s.name] : []));
    // azd itself sets the subscription; a dry run is pointed at a storage account by hand.
    const fromElsewhere = ['AZURE_SUBSCRIPTION_ID', 'AZURE_STORAGE_CONNECTION_STRING'];
    expect(read.filter((v) => !outputs.includes(v) && !fromElsewhere.includes(v))).toEqual([]);
    expect(read).toEqual(
      expect.arrayContaining(['AZURE_FUNCTION_APP_NAME', 'AZURE_EVENT_GRID_SYSTEM_TOPIC']),
    );
  });
});
