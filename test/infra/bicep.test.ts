import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile, declaration, evaluate, parseBicep, readBicep } from './bicep';

const infra = path.resolve(__dirname, '..', '..', 'infra');
const bicepFiles = fs
  .readdirSync(infra, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.bicep'))
  .sort();

describe('infra/ Bicep', () => {
  it('has the entry point azd deploys and the modules it calls', () => {
    expect(bicepFiles).toContain('main.bicep');
    const main = readBicep(path.join(infra, 'main.bicep'));
    const modules = main.statements.flatMap((s) => (s.kind === 'module' ? [s.path] : []));
    for (const m of modules) expect(bicepFiles).toContain(path.normalize(m));
    // Every module file is used: a file nobody calls is infrastructure nobody deploys.
    const called = new Set(modules.map((m) => path.normalize(m)));
    expect(bicepFiles.filter((f) => f !== 'main.bicep' && !called.has(f))).toEqual([]);
  });

  it.each(bicepFiles)('%s parses and would compile (names, functions, module params and outputs)', (file) => {
    expect(checkFile(readBicep(path.join(infra, file)))).toEqual([]);
  });

  it('pins every registry module to a version', () => {
    const registry = bicepFiles.flatMap((f) =>
      readBicep(path.join(infra, f)).statements.flatMap((s) =>
        s.kind === 'module' && s.path.startsWith('br') ? [s.path] : [],
      ),
    );
    expect(registry).toEqual(['br/public:avm/res/web/serverfarm:0.7.0', 'br/public:avm/res/web/site:0.24.0']);
  });
});

describe('the Bicep parser refuses what the compiler would', () => {
  const problems = (source: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-bicep-'));
    const file = path.join(dir, 'main.bicep');
    fs.writeFileSync(file, source);
    fs.writeFileSync(
      path.join(dir, 'child.bicep'),
      'param name string\nparam size int = 1\noutput id string = name\n',
    );
    return checkFile(readBicep(file));
  };

  it('an unclosed object or string, or a missing "="', () => {
    expect(() => parseBicep("var a = {\n  b: 'c'\n")).toThrow(/expected/);
    expect(() => parseBicep("var a = 'open\n")).toThrow(/unterminated string/);
    expect(() => parseBicep("var a 'x'\n")).toThrow(/expected "="/);
    expect(() => parseBicep("resource r 'Microsoft.Web/sites@2024-04-01' = 'x'\n")).toThrow(/expected "\{"/);
  });

  it('a name nobody declared, and a function that does not exist', () => {
    expect(problems('param a string\nvar b = toLower(c)\nvar d = toLowr(a)\n')).toEqual([
      expect.stringMatching(/"c" is not declared/),
      expect.stringMatching(/unknown function toLowr\(\)/),
    ]);
  });

  it('a module called with a param it lacks, without a required one, or for an output it lacks', () => {
    expect(
      problems(
        "module m 'child.bicep' = {\n  name: 'm'\n  params: {\n    size: 2\n    colour: 'red'\n  }\n}\noutput x string = m.outputs.nope\n",
      ),
    ).toEqual([
      expect.stringMatching(/has no param "colour"/),
      expect.stringMatching(/required param "name" is not given/),
      expect.stringMatching(/module m has no output "nope"/),
    ]);
  });

  it('a resource type without its api version, and a twice-declared name', () => {
    expect(problems("resource r 'Microsoft.Web/sites' = {\n  name: 'x'\n}\nvar r = 1\n")).toEqual([
      expect.stringMatching(/declared twice/),
      expect.stringMatching(/not a resource type@api-version/),
    ]);
  });

  it('accepts loop variables, lambdas, multi-line ternaries and interpolation', () => {
    expect(
      problems(
        [
          'param names array',
          "var upper = map(names, n => toUpper('${n}-x'))",
          'var pick = length(names) > 0',
          '  ? { first: names[0] }',
          '  : {}',
          "resource rs 'Microsoft.Storage/storageAccounts@2024-01-01' = [",
          '  for (n, i) in names: if (i > 0) {',
          "    name: '${n}${i}'",
          '  }',
          ']',
          '',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('evaluates static values and leaves the rest unknown', () => {
    const b = parseBicep("param p string\nvar a = 'x'\nvar b = ['${a}-y', p, 3]\n");
    expect(evaluate(declaration(b, 'var', 'b').value, b)).toEqual(['x-y', expect.anything(), 3]);
    expect(typeof (evaluate(declaration(b, 'var', 'b').value, b) as unknown[])[1]).toBe('symbol');
  });
});
