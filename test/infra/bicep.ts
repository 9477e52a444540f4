/**
 * A parser for the Bicep the infra is written in, for tests that run without the Bicep CLI (it
 * cannot be installed on these machines). It reads the whole language surface infra/ uses:
 * declarations with decorators, objects and arrays (newline- or comma-separated), strings with
 * `${}` interpolation and `'''` multi-line strings, member/index access (`.?`, `[?`, `!`, `::`),
 * calls, unary/binary/ternary operators (a ternary may continue on the next line), `for` and
 * `if` bodies, lambdas and user-defined functions. Anything else is a syntax error with its line,
 * so a typo fails here instead of in `az deployment`.
 *
 * `checkFile` adds what the compiler would refuse beyond syntax: undeclared names, unknown
 * functions, duplicate declarations, malformed resource types, and module calls whose params or
 * outputs do not match the module file.
 */
import fs from 'node:fs';
import path from 'node:path';

export type Expr =
  | { kind: 'string'; parts: (string | Expr)[]; line: number }
  | { kind: 'number'; value: number; line: number }
  | { kind: 'bool'; value: boolean; line: number }
  | { kind: 'null'; line: number }
  | { kind: 'ident'; name: string; line: number }
  | { kind: 'member'; object: Expr; name: string; line: number }
  | { kind: 'index'; object: Expr; index: Expr; line: number }
  | { kind: 'call'; callee: Expr; args: Expr[]; line: number }
  | { kind: 'unary'; op: string; operand: Expr; line: number }
  | { kind: 'nonNull'; operand: Expr; line: number }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; line: number }
  | { kind: 'ternary'; cond: Expr; then: Expr; else: Expr; line: number }
  | { kind: 'array'; items: Expr[]; line: number }
  | { kind: 'object'; props: { key: string; value: Expr }[]; line: number }
  | { kind: 'spread'; value: Expr; line: number }
  | { kind: 'for'; vars: string[]; source: Expr; body: Expr; line: number }
  | { kind: 'if'; cond: Expr; body: Expr; line: number }
  | { kind: 'lambda'; params: string[]; body: Expr; line: number };

export interface Decorator {
  name: string;
  args: Expr[];
}

export type Statement =
  | { kind: 'targetScope'; value: Expr; line: number }
  | { kind: 'param'; name: string; type: string; decorators: Decorator[]; value?: Expr; line: number }
  | { kind: 'var'; name: string; decorators: Decorator[]; value: Expr; line: number }
  | {
      kind: 'resource';
      name: string;
      type: string;
      existing: boolean;
      decorators: Decorator[];
      value: Expr;
      line: number;
    }
  | { kind: 'module'; name: string; path: string; decorators: Decorator[]; value: Expr; line: number }
  | { kind: 'output'; name: string; type: string; decorators: Decorator[]; value: Expr; line: number }
  | { kind: 'func'; name: string; params: string[]; returnType: string; body: Expr; line: number }
  | { kind: 'type'; name: string; line: number }
  | { kind: 'metadata'; name: string; value: Expr; line: number };

export interface BicepFile {
  file: string;
  statements: Statement[];
}

export class BicepSyntaxError extends Error {}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { t: 'ident'; v: string; line: number }
  | { t: 'number'; v: number; line: number }
  | { t: 'string'; parts: (string | { src: string; line: number })[]; line: number }
  | { t: 'punct'; v: string; line: number }
  | { t: 'newline'; line: number }
  | { t: 'eof'; line: number };

const PUNCTUATION = [
  '...',
  '=>',
  '==',
  '!=',
  '=~',
  '!~',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '.?',
  '[?',
  '::',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  '.',
  ':',
  '?',
  '!',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '@',
  '|',
];

function tokenize(src: string, file: string, firstLine = 1): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = firstLine;
  const fail = (msg: string): never => {
    throw new BicepSyntaxError(`${file}:${line}: ${msg}`);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      tokens.push({ t: 'newline', line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated /* comment');
      for (let k = i; k < end; k++) if (src[k] === '\n') line++;
      i = end + 2;
    } else if (src.startsWith("'''", i)) {
      const end = src.indexOf("'''", i + 3);
      if (end < 0) fail("unterminated ''' string");
      const text = src.slice(i + 3, end).replace(/^\r?\n/, '');
      tokens.push({ t: 'string', parts: [text], line });
      for (let k = i; k < end; k++) if (src[k] === '\n') line++;
      i = end + 3;
    } else if (c === "'") {
      const startLine = line;
      const parts: (string | { src: string; line: number })[] = [];
      let text = '';
      i++;
      for (;;) {
        if (i >= src.length || src[i] === '\n') fail('unterminated string');
        const ch = src[i]!;
        if (ch === "'") {
          i++;
          break;
        }
        if (ch === '\\') {
          const next = src[i + 1];
          const escapes: Record<string, string> = { "'": "'", '\\': '\\', n: '\n', r: '\r', t: '\t', $: '$' };
          if (next !== undefined && next in escapes) {
            text += escapes[next];
            i += 2;
          } else if (next === 'u' && src[i + 2] === '{') {
            const close = src.indexOf('}', i);
            text += String.fromCodePoint(parseInt(src.slice(i + 3, close), 16));
            i = close + 1;
          } else {
            fail(`invalid escape \\${next ?? ''}`);
          }
        } else if (ch === '$' && src[i + 1] === '{') {
          if (text) parts.push(text);
          text = '';
          // Find the matching brace, skipping nested braces and strings.
          let depth = 1;
          let k = i + 2;
          while (depth > 0) {
            if (k >= src.length) fail('unterminated ${ in string');
            const d = src[k]!;
            if (d === "'") {
              k++;
              while (k < src.length && src[k] !== "'") k += src[k] === '\\' ? 2 : 1;
            } else if (d === '{') depth++;
            else if (d === '}') depth--;
            k++;
          }
          parts.push({ src: src.slice(i + 2, k - 1), line });
          i = k;
        } else {
          text += ch;
          i++;
        }
      }
      if (text || parts.length === 0) parts.push(text);
      tokens.push({ t: 'string', parts, line: startLine });
    } else if (/[0-9]/.test(c)) {
      let k = i;
      while (k < src.length && /[0-9]/.test(src[k]!)) k++;
      tokens.push({ t: 'number', v: Number(src.slice(i, k)), line });
      i = k;
    } else if (/[A-Za-z_]/.test(c)) {
      let k = i;
      while (k < src.length && /[A-Za-z0-9_]/.test(src[k]!)) k++;
      tokens.push({ t: 'ident', v: src.slice(i, k), line });
      i = k;
    } else {
      const p = PUNCTUATION.find((q) => src.startsWith(q, i));
      if (!p) fail(`unexpected character "${c}"`);
      tokens.push({ t: 'punct', v: p!, line });
      i += p!.length;
    }
  }
  tokens.push({ t: 'eof', line });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

const BINARY_PRECEDENCE: Record<string, number> = {
  '??': 1,
  '||': 2,
  '&&': 3,
  '==': 4,
  '!=': 4,
  '=~': 4,
  '!~': 4,
  '<': 5,
  '<=': 5,
  '>': 5,
  '>=': 5,
  '+': 6,
  '-': 6,
  '*': 7,
  '/': 7,
  '%': 7,
};

class Parser {
  private pos = 0;
  /** Inside ( ): newlines mean nothing. Inside [ ] and { }: they separate items. */
  private parenDepth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  private peek(offset = 0): Token {
    let p = this.pos;
    let seen = 0;
    for (;;) {
      const tok = this.tokens[p]!;
      if (tok.t === 'newline' && this.parenDepth > 0) {
        p++;
        continue;
      }
      if (seen === offset || tok.t === 'eof') return tok;
      seen++;
      p++;
    }
  }

  private next(): Token {
    for (;;) {
      const tok = this.tokens[this.pos]!;
      if (tok.t !== 'eof') this.pos++;
      if (tok.t === 'newline' && this.parenDepth > 0) continue;
      return tok;
    }
  }

  private fail(msg: string, tok: Token = this.peek()): never {
    throw new BicepSyntaxError(`${this.file}:${tok.line}: ${msg}`);
  }

  private isPunct(v: string, tok: Token = this.peek()): boolean {
    return tok.t === 'punct' && tok.v === v;
  }

  private expectPunct(v: string): Token {
    const tok = this.next();
    if (tok.t !== 'punct' || tok.v !== v) this.fail(`expected "${v}", found ${describe(tok)}`, tok);
    return tok;
  }

  private expectIdent(): string {
    const tok = this.next();
    if (tok.t !== 'ident') this.fail(`expected a name, found ${describe(tok)}`, tok);
    return tok.v;
  }

  private skipNewlines(): void {
    while (this.tokens[this.pos]!.t === 'newline') this.pos++;
  }

  private endOfStatement(): void {
    const tok = this.tokens[this.pos]!;
    if (tok.t === 'eof') return;
    if (tok.t !== 'newline') this.fail(`expected the end of the line, found ${describe(tok)}`, tok);
    this.pos++;
  }

  parseFile(): Statement[] {
    const statements: Statement[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.peek().t === 'eof') return statements;
      statements.push(this.parseStatement());
      this.endOfStatement();
    }
  }

  private parseDecorators(): Decorator[] {
    const decorators: Decorator[] = [];
    while (this.isPunct('@')) {
      this.next();
      let name = this.expectIdent();
      if (this.isPunct('.')) {
        this.next();
        name = `${name}.${this.expectIdent()}`;
      }
      this.expectPunct('(');
      const args = this.parseArgs();
      decorators.push({ name, args });
      this.skipNewlines();
    }
    return decorators;
  }

  /** Raw text of a type expression, up to `=` (or the line's end) at bracket depth 0. */
  private parseTypeText(stopAtEquals: boolean): string {
    const parts: string[] = [];
    let depth = 0;
    for (;;) {
      const tok = this.tokens[this.pos]!;
      if (tok.t === 'eof') break;
      if (depth === 0 && (tok.t === 'newline' || (stopAtEquals && tok.t === 'punct' && tok.v === '='))) break;
      if (tok.t === 'punct' && tok.v === '=>' && depth === 0) break;
      this.pos++;
      if (tok.t === 'newline') continue;
      if (tok.t === 'punct' && ['(', '[', '{', '<', '[?'].includes(tok.v)) depth++;
      if (tok.t === 'punct' && [')', ']', '}', '>'].includes(tok.v)) depth--;
      parts.push(
        tok.t === 'ident' ? tok.v : tok.t === 'punct' ? tok.v : tok.t === 'number' ? String(tok.v) : "'…'",
      );
    }
    if (parts.length === 0) this.fail('expected a type');
    return parts.join(' ');
  }

  private parseStatement(): Statement {
    const decorators = this.parseDecorators();
    const tok = this.next();
    const line = tok.line;
    if (tok.t !== 'ident') this.fail(`expected a declaration, found ${describe(tok)}`, tok);
    switch (tok.v) {
      case 'targetScope':
        this.expectPunct('=');
        return { kind: 'targetScope', value: this.parseExpr(), line };
      case 'param': {
        const name = this.expectIdent();
        const type = this.parseTypeText(true);
        if (this.isPunct('=')) {
          this.next();
          return { kind: 'param', name, type, decorators, value: this.parseExpr(), line };
        }
        return { kind: 'param', name, type, decorators, line };
      }
      case 'var': {
        const name = this.expectIdent();
        this.expectPunct('=');
        return { kind: 'var', name, decorators, value: this.parseExpr(), line };
      }
      case 'output': {
        const name = this.expectIdent();
        const type = this.parseTypeText(true);
        this.expectPunct('=');
        return { kind: 'output', name, type, decorators, value: this.parseExpr(), line };
      }
      case 'resource': {
        const name = this.expectIdent();
        const type = this.expectPlainString('a resource type');
        let existing = false;
        if (this.peek().t === 'ident' && (this.peek() as { v: string }).v === 'existing') {
          this.next();
          existing = true;
        }
        this.expectPunct('=');
        return { kind: 'resource', name, type, existing, decorators, value: this.parseBody(), line };
      }
      case 'module': {
        const name = this.expectIdent();
        const modulePath = this.expectPlainString('a module path');
        this.expectPunct('=');
        return { kind: 'module', name, path: modulePath, decorators, value: this.parseBody(), line };
      }
      case 'func': {
        const name = this.expectIdent();
        this.expectPunct('(');
        this.parenDepth++;
        const params: string[] = [];
        while (!this.isPunct(')')) {
          params.push(this.expectIdent());
          this.parseTypeInParams();
          if (this.isPunct(',')) this.next();
        }
        this.expectPunct(')');
        this.parenDepth--;
        const returnType = this.parseTypeText(false);
        this.expectPunct('=>');
        return { kind: 'func', name, params, returnType, body: this.parseExpr(), line };
      }
      case 'type': {
        const name = this.expectIdent();
        this.expectPunct('=');
        this.parseTypeText(false);
        return { kind: 'type', name, line };
      }
      case 'metadata': {
        const name = this.expectIdent();
        this.expectPunct('=');
        return { kind: 'metadata', name, value: this.parseExpr(), line };
      }
      default:
        return this.fail(`unknown declaration "${tok.v}"`, tok);
    }
  }

  /** A parameter type inside `func f(a string, b int)`: up to `,` or `)`. */
  private parseTypeInParams(): void {
    let depth = 0;
    let any = false;
    for (;;) {
      const tok = this.peek();
      if (tok.t === 'eof') this.fail('unterminated parameter list');
      if (depth === 0 && tok.t === 'punct' && (tok.v === ',' || tok.v === ')')) break;
      this.next();
      any = true;
      if (tok.t === 'punct' && ['(', '[', '{', '<'].includes(tok.v)) depth++;
      if (tok.t === 'punct' && [')', ']', '}', '>'].includes(tok.v)) depth--;
    }
    if (!any) this.fail('expected a parameter type');
  }

  private expectPlainString(what: string): string {
    const tok = this.next();
    if (tok.t !== 'string' || tok.parts.length !== 1 || typeof tok.parts[0] !== 'string') {
      this.fail(`expected ${what} (a plain string)`, tok);
    }
    return (tok as { parts: string[] }).parts[0]!;
  }

  /** A resource or module body: an object, `if (cond) {…}`, or `[for … : …]`. */
  private parseBody(): Expr {
    const tok = this.peek();
    if (tok.t === 'ident' && tok.v === 'if') return this.parseIf();
    if (this.isPunct('[')) return this.parsePrimary();
    if (!this.isPunct('{')) this.fail(`expected "{", "if" or "[for", found ${describe(tok)}`);
    return this.parsePrimary();
  }

  private parseIf(): Expr {
    const line = this.next().line;
    this.expectPunct('(');
    this.parenDepth++;
    const cond = this.parseExpr();
    this.expectPunct(')');
    this.parenDepth--;
    if (!this.isPunct('{')) this.fail('expected "{" after if (…)');
    return { kind: 'if', cond, body: this.parsePrimary(), line };
  }

  private parseArgs(): Expr[] {
    // Called after "(" was consumed.
    this.parenDepth++;
    const args: Expr[] = [];
    while (!this.isPunct(')')) {
      args.push(this.parseExpr());
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct(')')) this.fail(`expected "," or ")", found ${describe(this.peek())}`);
    }
    this.expectPunct(')');
    this.parenDepth--;
    return args;
  }

  parseExpr(): Expr {
    const lambda = this.tryLambda();
    if (lambda) return lambda;
    const cond = this.parseBinary(0);
    // A ternary may continue on the next line (`cond\n  ? a\n  : b`).
    const save = this.pos;
    this.skipNewlines();
    if (this.isPunct('?')) {
      const line = this.next().line;
      this.skipNewlines();
      const then = this.parseExpr();
      this.skipNewlines();
      this.expectPunct(':');
      this.skipNewlines();
      const otherwise = this.parseExpr();
      return { kind: 'ternary', cond, then, else: otherwise, line };
    }
    this.pos = save;
    return cond;
  }

  private tryLambda(): Expr | undefined {
    const tok = this.peek();
    if (tok.t === 'ident' && this.isPunct('=>', this.peek(1))) {
      this.next();
      this.next();
      return { kind: 'lambda', params: [tok.v], body: this.parseExpr(), line: tok.line };
    }
    if (this.isPunct('(')) {
      // (a, b) => …
      let k = 1;
      const params: string[] = [];
      for (;;) {
        const t = this.peek(k);
        if (t.t !== 'ident') return undefined;
        params.push(t.v);
        const sep = this.peek(k + 1);
        if (this.isPunct(')', sep)) {
          if (!this.isPunct('=>', this.peek(k + 2))) return undefined;
          for (let n = 0; n < k + 3; n++) this.next();
          return { kind: 'lambda', params, body: this.parseExpr(), line: tok.line };
        }
        if (!this.isPunct(',', sep)) return undefined;
        k += 2;
      }
    }
    return undefined;
  }

  private parseBinary(minPrecedence: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      const tok = this.peek();
      if (tok.t !== 'punct') return left;
      const precedence = BINARY_PRECEDENCE[tok.v];
      if (precedence === undefined || precedence < minPrecedence) return left;
      this.next();
      const right = this.parseBinary(precedence + 1);
      left = { kind: 'binary', op: tok.v, left, right, line: tok.line };
    }
  }

  private parseUnary(): Expr {
    const tok = this.peek();
    if (tok.t === 'punct' && (tok.v === '!' || tok.v === '-')) {
      this.next();
      return { kind: 'unary', op: tok.v, operand: this.parseUnary(), line: tok.line };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(expr: Expr): Expr {
    for (;;) {
      const tok = this.peek();
      if (tok.t !== 'punct') return expr;
      if (tok.v === '.' || tok.v === '.?' || tok.v === '::') {
        this.next();
        expr = { kind: 'member', object: expr, name: this.expectIdent(), line: tok.line };
      } else if (tok.v === '[' || tok.v === '[?') {
        this.next();
        this.parenDepth++;
        const index = this.parseExpr();
        this.expectPunct(']');
        this.parenDepth--;
        expr = { kind: 'index', object: expr, index, line: tok.line };
      } else if (tok.v === '(') {
        this.next();
        expr = { kind: 'call', callee: expr, args: this.parseArgs(), line: tok.line };
      } else if (tok.v === '!') {
        // Postfix non-null assertion: only directly after an expression, never before `=`.
        const after = this.peek(1);
        if (after.t === 'punct' && after.v === '=') return expr;
        this.next();
        expr = { kind: 'nonNull', operand: expr, line: tok.line };
      } else {
        return expr;
      }
    }
  }

  private parsePrimary(): Expr {
    const tok = this.next();
    const line = tok.line;
    switch (tok.t) {
      case 'number':
        return { kind: 'number', value: tok.v, line };
      case 'string':
        return {
          kind: 'string',
          parts: tok.parts.map((p) =>
            typeof p === 'string' ? p : parseExpression(p.src, this.file, p.line),
          ),
          line,
        };
      case 'ident':
        if (tok.v === 'true' || tok.v === 'false') return { kind: 'bool', value: tok.v === 'true', line };
        if (tok.v === 'null') return { kind: 'null', line };
        return { kind: 'ident', name: tok.v, line };
      case 'punct':
        if (tok.v === '(') {
          this.parenDepth++;
          const inner = this.parseExpr();
          this.expectPunct(')');
          this.parenDepth--;
          return inner;
        }
        if (tok.v === '[') return this.parseArrayOrFor(line);
        if (tok.v === '{') return this.parseObject(line);
        return this.fail(`unexpected "${tok.v}"`, tok);
      default:
        return this.fail(`unexpected ${describe(tok)}`, tok);
    }
  }

  /** Items of [ ] or { }: separated by newlines or commas, with newlines significant again. */
  private withItems<T>(close: string, item: () => T): T[] {
    const outer = this.parenDepth;
    this.parenDepth = 0;
    const items: T[] = [];
    try {
      this.skipNewlines();
      while (!this.isPunct(close)) {
        items.push(item());
        const sep = this.tokens[this.pos]!;
        if (sep.t === 'punct' && sep.v === ',') this.pos++;
        else if (sep.t === 'newline') this.pos++;
        else if (!(sep.t === 'punct' && sep.v === close)) {
          this.fail(`expected a new line, "," or "${close}", found ${describe(sep)}`, sep);
        }
        this.skipNewlines();
      }
      this.expectPunct(close);
    } finally {
      this.parenDepth = outer;
    }
    return items;
  }

  private parseArrayOrFor(line: number): Expr {
    let k = this.pos;
    while (this.tokens[k]!.t === 'newline') k++;
    const tok = this.tokens[k]!;
    if (tok.t === 'ident' && tok.v === 'for') {
      this.pos = k;
      this.next();
      const vars: string[] = [];
      if (this.isPunct('(')) {
        this.next();
        vars.push(this.expectIdent());
        this.expectPunct(',');
        vars.push(this.expectIdent());
        this.expectPunct(')');
      } else {
        vars.push(this.expectIdent());
      }
      const inTok = this.next();
      if (inTok.t !== 'ident' || inTok.v !== 'in') this.fail('expected "in"', inTok);
      const outer = this.parenDepth;
      this.parenDepth = 1;
      const source = this.parseExpr();
      this.expectPunct(':');
      const bodyTok = this.peek();
      this.parenDepth = outer;
      this.skipNewlines();
      const body = bodyTok.t === 'ident' && bodyTok.v === 'if' ? this.parseIf() : this.parseExpr();
      this.skipNewlines();
      this.expectPunct(']');
      return { kind: 'for', vars, source, body, line };
    }
    const items = this.withItems(']', () => {
      if (this.isPunct('...')) {
        const spreadLine = this.next().line;
        const spread: Expr = { kind: 'spread', value: this.parseExpr(), line: spreadLine };
        return spread;
      }
      return this.parseExpr();
    });
    return { kind: 'array', items, line };
  }

  private parseObject(line: number): Expr {
    const props: { key: string; value: Expr }[] = [];
    this.withItems('}', () => {
      this.parseDecorators();
      if (this.isPunct('...')) {
        const spreadLine = this.next().line;
        props.push({ key: '...', value: { kind: 'spread', value: this.parseExpr(), line: spreadLine } });
        return;
      }
      const keyTok = this.next();
      let key: string;
      if (keyTok.t === 'ident') key = keyTok.v;
      else if (keyTok.t === 'string' && keyTok.parts.length === 1 && typeof keyTok.parts[0] === 'string') {
        key = keyTok.parts[0];
      } else return this.fail(`expected a property name, found ${describe(keyTok)}`, keyTok);
      this.expectPunct(':');
      if (props.some((p) => p.key === key)) this.fail(`property "${key}" appears twice`, keyTok);
      props.push({ key, value: this.parseExpr() });
    });
    return { kind: 'object', props, line };
  }
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'ident':
      return `"${tok.v}"`;
    case 'punct':
      return `"${tok.v}"`;
    case 'number':
      return `number ${tok.v}`;
    case 'string':
      return 'a string';
    case 'newline':
      return 'a new line';
    case 'eof':
      return 'the end of the file';
  }
}

function parseExpression(src: string, file: string, line: number): Expr {
  const tokens = tokenize(src, file, line).filter((t) => t.t !== 'newline');
  const parser = new Parser(tokens, file);
  const expr = parser.parseExpr();
  return expr;
}

export function parseBicep(source: string, file = '<bicep>'): BicepFile {
  return { file, statements: new Parser(tokenize(source, file), file).parseFile() };
}

export function readBicep(file: string): BicepFile {
  return parseBicep(fs.readFileSync(file, 'utf8'), file);
}

// ---------------------------------------------------------------------------------------------
// Queries

export function declaration<K extends Statement['kind']>(
  bicep: BicepFile,
  kind: K,
  name: string,
): Extract<Statement, { kind: K }> {
  const found = bicep.statements.find((s) => s.kind === kind && 'name' in s && s.name === name);
  if (!found) throw new Error(`${bicep.file} declares no ${kind} "${name}"`);
  return found as Extract<Statement, { kind: K }>;
}

export function resourcesOfType(bicep: BicepFile, type: string): Extract<Statement, { kind: 'resource' }>[] {
  return bicep.statements.filter(
    (s): s is Extract<Statement, { kind: 'resource' }> =>
      s.kind === 'resource' && s.type.split('@')[0] === type,
  );
}

/** The object a resource/module body declares, looking through `if (…)`. */
export function bodyObject(expr: Expr): Extract<Expr, { kind: 'object' }> {
  const inner = expr.kind === 'if' ? expr.body : expr;
  if (inner.kind !== 'object') throw new Error(`line ${expr.line}: not an object`);
  return inner;
}

export function prop(obj: Expr, key: string): Expr | undefined {
  const o = obj.kind === 'if' ? obj.body : obj;
  return o.kind === 'object' ? o.props.find((p) => p.key === key)?.value : undefined;
}

/** Follows a path of property names; throws with the path when one is missing. */
export function at(obj: Expr, ...keys: string[]): Expr {
  let cur = obj;
  for (const key of keys) {
    const next = prop(cur, key);
    if (!next) throw new Error(`line ${cur.line}: no property ${keys.join('.')}`);
    cur = next;
  }
  return cur;
}

export const UNKNOWN = Symbol('unknown');
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value } | typeof UNKNOWN;

/**
 * The value of an expression where it is static: literals, and names of `var`s of the same
 * file whose values are static themselves. Anything else (params, resource properties, calls)
 * is UNKNOWN; a string interpolating an unknown part is UNKNOWN too.
 */
export function evaluate(expr: Expr, bicep: BicepFile): Value {
  switch (expr.kind) {
    case 'string': {
      let out = '';
      for (const part of expr.parts) {
        if (typeof part === 'string') out += part;
        else {
          const v = evaluate(part, bicep);
          if (v === UNKNOWN || typeof v === 'object') return UNKNOWN;
          out += String(v);
        }
      }
      return out;
    }
    case 'number':
    case 'bool':
      return expr.value;
    case 'null':
      return null;
    case 'array':
      return expr.items.map((i) => (i.kind === 'spread' ? UNKNOWN : evaluate(i, bicep)));
    case 'object':
      return Object.fromEntries(expr.props.map((p) => [p.key, evaluate(p.value, bicep)]));
    case 'ident': {
      const v = bicep.statements.find((s) => s.kind === 'var' && s.name === expr.name);
      return v && v.kind === 'var' ? evaluate(v.value, bicep) : UNKNOWN;
    }
    default:
      return UNKNOWN;
  }
}

/** Every expression node inside `expr`, depth first (string interpolations included). */
export function* walk(expr: Expr): Generator<Expr> {
  yield expr;
  switch (expr.kind) {
    case 'string':
      for (const p of expr.parts) if (typeof p !== 'string') yield* walk(p);
      break;
    case 'member':
      yield* walk(expr.object);
      break;
    case 'index':
      yield* walk(expr.object);
      yield* walk(expr.index);
      break;
    case 'call':
      yield* walk(expr.callee);
      for (const a of expr.args) yield* walk(a);
      break;
    case 'unary':
    case 'nonNull':
      yield* walk(expr.operand);
      break;
    case 'binary':
      yield* walk(expr.left);
      yield* walk(expr.right);
      break;
    case 'ternary':
      yield* walk(expr.cond);
      yield* walk(expr.then);
      yield* walk(expr.else);
      break;
    case 'array':
      for (const i of expr.items) yield* walk(i);
      break;
    case 'object':
      for (const p of expr.props) yield* walk(p.value);
      break;
    case 'spread':
      yield* walk(expr.value);
      break;
    case 'for':
      yield* walk(expr.source);
      yield* walk(expr.body);
      break;
    case 'if':
      yield* walk(expr.cond);
      yield* walk(expr.body);
      break;
    case 'lambda':
      yield* walk(expr.body);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Checks the compiler would make

/** Bicep's functions (sys namespace) that infra may call; an unknown name is a typo. */
const FUNCTIONS = new Set(
  (
    'any array base64 base64ToJson base64ToString bool coalesce concat contains createArray createObject ' +
    'dataUri dataUriToString dateTimeAdd dateTimeFromEpoch dateTimeToEpoch deployer deployment empty endsWith ' +
    'environment extensionResourceId filter first flatten format groupBy guid indexOf int intersection items ' +
    'join json last lastIndexOf length loadFileAsBase64 loadJsonContent loadTextContent loadYamlContent ' +
    'managementGroup managementGroupResourceId map mapValues max min newGuid objectKeys padLeft parseCidr ' +
    'pickZones range readEnvironmentVariable reduce reference replace resourceGroup resourceId shallowMerge skip ' +
    'sort split startsWith string subscription subscriptionResourceId substring take tenant tenantResourceId ' +
    'toLower toObject toUpper trim tryGet union uniqueString uri uriComponent uriComponentToString utcNow'
  ).split(' '),
);

const DECORATORS = new Set(
  'allowed batchSize description discriminator export maxLength maxValue metadata minLength minValue onlyIfNotExists sealed secure'.split(
    ' ',
  ),
);

const RESOURCE_TYPE = /^[A-Za-z]+(\.[A-Za-z]+)+(\/[A-Za-z]+)+@\d{4}-\d{2}-\d{2}(-preview)?$/;
const REGISTRY_MODULE = /^br\/public:avm\/(res|ptn|utl)\/[a-z0-9-]+(\/[a-z0-9-]+)*:\d+\.\d+\.\d+$/;

export interface ModuleInterface {
  params: { name: string; required: boolean }[];
  outputs: string[];
}

export function moduleInterface(bicep: BicepFile): ModuleInterface {
  return {
    params: bicep.statements.flatMap((s) =>
      s.kind === 'param'
        ? [{ name: s.name, required: s.value === undefined && !s.type.trim().endsWith('?') }]
        : [],
    ),
    outputs: bicep.statements.flatMap((s) => (s.kind === 'output' ? [s.name] : [])),
  };
}

/** Problems the compiler would report; empty when the file is sound. */
export function checkFile(bicep: BicepFile): string[] {
  const problems: string[] = [];
  const at = (line: number, msg: string) => problems.push(`${bicep.file}:${line}: ${msg}`);
  const declared = new Map<string, Statement>();
  for (const s of bicep.statements) {
    if (!('name' in s) || s.kind === 'metadata') continue;
    if (s.kind !== 'output' && declared.has(s.name)) at(s.line, `"${s.name}" is declared twice`);
    if (s.kind !== 'output') declared.set(s.name, s);
  }
  const modules = new Map<string, ModuleInterface>();

  for (const s of bicep.statements) {
    if ('decorators' in s) {
      for (const d of s.decorators) {
        const name = d.name.replace(/^sys\./, '');
        if (!DECORATORS.has(name)) at(s.line, `unknown decorator @${d.name}`);
      }
    }
    if (s.kind === 'resource' && !RESOURCE_TYPE.test(s.type))
      at(s.line, `"${s.type}" is not a resource type@api-version`);
    if (s.kind === 'module') {
      if (s.path.startsWith('br')) {
        if (!REGISTRY_MODULE.test(s.path)) at(s.line, `"${s.path}" is not a pinned public registry module`);
      } else {
        const target = path.resolve(path.dirname(bicep.file), s.path);
        if (!fs.existsSync(target)) {
          at(s.line, `module file ${s.path} does not exist`);
          continue;
        }
        const iface = moduleInterface(readBicep(target));
        modules.set(s.name, iface);
        const params = prop(s.value, 'params');
        const given = params && params.kind === 'object' ? params.props.map((p) => p.key) : [];
        for (const key of given) {
          if (!iface.params.some((p) => p.name === key))
            at(s.line, `module ${s.name}: ${s.path} has no param "${key}"`);
        }
        for (const p of iface.params) {
          if (p.required && !given.includes(p.name))
            at(s.line, `module ${s.name}: required param "${p.name}" is not given`);
        }
      }
    }
  }

  const check = (expr: Expr, scope: Set<string>) => {
    for (const node of walkScoped(expr, scope)) {
      const { expr: e, scope: names } = node;
      if (e.kind === 'call' && e.callee.kind === 'ident') {
        const name = e.callee.name;
        const fn = declared.get(name);
        if (!(fn && fn.kind === 'func') && !FUNCTIONS.has(name)) at(e.line, `unknown function ${name}()`);
      } else if (e.kind === 'ident' && !node.callee) {
        if (!names.has(e.name) && !declared.has(e.name) && e.name !== 'az' && e.name !== 'sys') {
          at(e.line, `"${e.name}" is not declared`);
        }
      } else if (e.kind === 'member' && e.object.kind === 'member' && e.object.name === 'outputs') {
        const owner = e.object.object.kind === 'nonNull' ? e.object.object.operand : e.object.object;
        if (owner.kind === 'ident' && modules.has(owner.name)) {
          if (!modules.get(owner.name)!.outputs.includes(e.name)) {
            at(e.line, `module ${owner.name} has no output "${e.name}"`);
          }
        }
      }
    }
  };
  for (const s of bicep.statements) {
    if (s.kind === 'func') check(s.body, new Set(s.params));
    else if (s.kind === 'param') {
      if (s.value) check(s.value, new Set());
    } else if ('value' in s && s.value) check(s.value, new Set());
    if ('decorators' in s) for (const d of s.decorators) for (const a of d.args) check(a, new Set());
  }
  return problems;
}

interface ScopedNode {
  expr: Expr;
  scope: Set<string>;
  /** The identifier is the name of a called function (checked as a function, not a variable). */
  callee: boolean;
}

/** Like walk, with the loop and lambda variables in scope at each node. */
function* walkScoped(expr: Expr, scope: Set<string>, callee = false): Generator<ScopedNode> {
  yield { expr, scope, callee };
  const inner = (e: Expr, s = scope, c = false) => walkScoped(e, s, c);
  switch (expr.kind) {
    case 'string':
      for (const p of expr.parts) if (typeof p !== 'string') yield* inner(p);
      break;
    case 'member':
      yield* inner(expr.object);
      break;
    case 'index':
      yield* inner(expr.object);
      yield* inner(expr.index);
      break;
    case 'call':
      yield* inner(expr.callee, scope, expr.callee.kind === 'ident');
      for (const a of expr.args) yield* inner(a);
      break;
    case 'unary':
    case 'nonNull':
      yield* inner(expr.operand);
      break;
    case 'binary':
      yield* inner(expr.left);
      yield* inner(expr.right);
      break;
    case 'ternary':
      yield* inner(expr.cond);
      yield* inner(expr.then);
      yield* inner(expr.else);
      break;
    case 'array':
      for (const i of expr.items) yield* inner(i);
      break;
    case 'object':
      for (const p of expr.props) yield* inner(p.value);
      break;
    case 'spread':
      yield* inner(expr.value);
      break;
    case 'for': {
      yield* inner(expr.source);
      yield* inner(expr.body, new Set([...scope, ...expr.vars]));
      break;
    }
    case 'if':
      yield* inner(expr.cond);
      yield* inner(expr.body);
      break;
    case 'lambda':
      yield* inner(expr.body, new Set([...scope, ...expr.params]));
      break;
    default:
      break;
  }
}
