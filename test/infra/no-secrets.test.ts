import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaration, evaluate, readBicep, walk } from './bicep';

const repo = path.resolve(__dirname, '..', '..');
const infra = path.join(repo, 'infra');
const infraFiles = fs
  .readdirSync(infra, { recursive: true })
  .map(String)
  .filter((f) => fs.statSync(path.join(infra, f)).isFile());
const bicepFiles = infraFiles.filter((f) => f.endsWith('.bicep'));

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** Shapes of real credentials: storage keys, OpenRouter, Stripe, PEM blocks, URLs with a password. */
const CREDENTIALS = [
  /AccountKey=[A-Za-z0-9+/]{20,}/,
  /sk-or-[A-Za-z0-9-]{10,}/,
  /\b(sk|rk)_(live|test)_[A-Za-z0-9]{10,}/,
  /\bwhsec_[A-Za-z0-9]{10,}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /[a-z+]+:\/\/[^\s/:@'"$]+:[^\s/@'"$]+@/i,
];

describe('nothing in infra/ holds a secret or a subscription', () => {
  it('has no GUID but the built-in role definitions access.bicep names', () => {
    const access = readBicep(path.join(infra, 'modules', 'access.bicep'));
    const roles = Object.values(
      evaluate(declaration(access, 'var', 'roles').value, access) as Record<string, string>,
    );
    expect(roles.length).toBeGreaterThan(0);
    for (const file of infraFiles) {
      const guids = [...fs.readFileSync(path.join(infra, file), 'utf8').matchAll(GUID)].map((m) =>
        m[0].toLowerCase(),
      );
      expect({ file, unexpected: guids.filter((g) => !roles.includes(g)) }).toEqual({ file, unexpected: [] });
    }
  });

  it('has nothing shaped like a key, a token or a password in a URL', () => {
    for (const file of [...infraFiles.map((f) => path.join(infra, f)), path.join(repo, 'azure.yaml')]) {
      const text = fs.readFileSync(file, 'utf8');
      expect({ file, found: CREDENTIALS.filter((re) => re.test(text)).map(String) }).toEqual({
        file,
        found: [],
      });
    }
  });

  it('marks every parameter that carries a credential @secure, with no default but empty', () => {
    for (const file of bicepFiles) {
      const bicep = readBicep(path.join(infra, file));
      for (const s of bicep.statements) {
        if (s.kind !== 'param') continue;
        const secure = s.decorators.some((d) => d.name === 'secure');
        if (/(password|secret|key|mongodburi|databaseurl)$/i.test(s.name) || s.name === 'secrets') {
          expect({ file, param: s.name, secure }).toEqual({ file, param: s.name, secure: true });
        }
        if (secure && s.value)
          expect({ file, param: s.name, default: evaluate(s.value, bicep) }).toEqual({
            file,
            param: s.name,
            default: '',
          });
      }
    }
  });

  it('outputs no secret: no secure parameter, no listKeys, no secret resource in any output', () => {
    for (const file of bicepFiles) {
      const bicep = readBicep(path.join(infra, file));
      const secure = new Set(
        bicep.statements.flatMap((s) =>
          s.kind === 'param' && s.decorators.some((d) => d.name === 'secure') ? [s.name] : [],
        ),
      );
      for (const s of bicep.statements) {
        if (s.kind !== 'output') continue;
        for (const e of walk(s.value)) {
          if (e.kind === 'ident')
            expect({ file, output: s.name, secure: secure.has(e.name) }).toEqual({
              file,
              output: s.name,
              secure: false,
            });
          if (e.kind === 'member')
            expect({ file, output: s.name, member: e.name }).not.toEqual({
              file,
              output: s.name,
              member: 'listKeys',
            });
        }
      }
    }
  });

  it('takes every parameter value from the azd environment, never a literal', () => {
    const params = JSON.parse(fs.readFileSync(path.join(infra, 'main.parameters.json'), 'utf8'))
      .parameters as Record<string, { value: unknown }>;
    const main = readBicep(path.join(infra, 'main.bicep'));
    const secure = new Set(
      main.statements.flatMap((s) =>
        s.kind === 'param' && s.decorators.some((d) => d.name === 'secure') ? [s.name] : [],
      ),
    );
    for (const [name, { value }] of Object.entries(params)) {
      expect({ name, value }).toEqual({
        name,
        value: expect.stringMatching(/^\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}$/),
      });
      // A default in the parameter file would be a secret in the repository.
      if (secure.has(name))
        expect({ name, value }).toEqual({ name, value: expect.stringMatching(/^\$\{[A-Z0-9_]+\}$/) });
    }
  });
});
