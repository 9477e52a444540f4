/**
 * ASP.NET Core route templates as used by Functions HTTP triggers:
 * `conversations/{id}`, `{id?}`, `{id=default}`, `{*rest}`, `{id:int}`, `{id:guid?}`, and complex
 * segments mixing literals and parameters such as `files/{name}.{ext}`, `v{version}`, `{a}-{b}`,
 * `{name}.{ext?}`. Literals match case-insensitively; routes are tried in ASP.NET's inbound
 * precedence order (literal before constrained or complex, before plain parameter, before catch-all).
 */

type Constraint = (value: string) => boolean;

interface ParamPart {
  kind: 'param';
  name: string;
  /** Written with `?`. */
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
}

/**
 * A piece of a complex segment. `separator` is ASP.NET's name for the `.` right before a final
 * optional parameter (`{name}.{ext?}`): it may be left out along with that parameter.
 */
type ComplexPart = { kind: 'literal'; text: string } | { kind: 'separator'; text: string } | ParamPart;

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; param: ParamPart }
  // Literals and parameters in one segment, never two parameters side by side: `{name}.{ext}`.
  | { kind: 'complex'; parts: ComplexPart[] };

export interface CompiledRoute<T> {
  template: string;
  segments: Segment[];
  /** Upper-cased; undefined = any method. */
  methods?: Set<string>;
  target: T;
  /** Constraint names we do not implement (accepted as "anything"), for a startup warning. */
  unknownConstraints: string[];
}

export interface RouteMatch<T> {
  route: CompiledRoute<T>;
  params: Record<string, string>;
}

const GUID =
  /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$|^\{[0-9a-f-]{36}\}$|^\([0-9a-f-]{36}\)$/i;

function numberArgs(args: string): number[] {
  return args.split(',').map((a) => Number(a.trim()));
}

function makeConstraint(spec: string, unknown: string[]): Constraint {
  const m = /^([a-zA-Z]+)(?:\((.*)\))?$/s.exec(spec);
  const name = m?.[1]?.toLowerCase() ?? spec;
  const args = m?.[2] ?? '';
  const isNumber = (v: string): boolean => v.trim() !== '' && Number.isFinite(Number(v));
  switch (name) {
    case 'int':
    case 'long':
      return (v) => /^-?\d+$/.test(v);
    case 'decimal':
    case 'double':
    case 'float':
      return isNumber;
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'guid':
      return (v) => GUID.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'minlength': {
      const [n = 0] = numberArgs(args);
      return (v) => v.length >= n;
    }
    case 'maxlength': {
      const [n = Infinity] = numberArgs(args);
      return (v) => v.length <= n;
    }
    case 'length': {
      const [a = 0, b] = numberArgs(args);
      return b === undefined ? (v) => v.length === a : (v) => v.length >= a && v.length <= b;
    }
    case 'min': {
      const [n = -Infinity] = numberArgs(args);
      return (v) => isNumber(v) && Number(v) >= n;
    }
    case 'max': {
      const [n = Infinity] = numberArgs(args);
      return (v) => isNumber(v) && Number(v) <= n;
    }
    case 'range': {
      const [a = -Infinity, b = Infinity] = numberArgs(args);
      return (v) => isNumber(v) && Number(v) >= a && Number(v) <= b;
    }
    case 'regex': {
      const re = new RegExp(args, 'i');
      return (v) => re.test(v);
    }
    default:
      unknown.push(spec);
      return () => true;
  }
}

/** Splits `id:int:min(1)` on colons that are not inside parentheses. */
function splitConstraints(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}

function parseParam(body: string, unknown: string[]): ParamPart {
  let text = body.trim();
  const catchAll = text.startsWith('*');
  text = text.replace(/^\*+/, '');
  let optional = false;
  if (text.endsWith('?')) {
    optional = true;
    text = text.slice(0, -1);
  }
  let defaultValue: string | undefined;
  const [nameAndConstraints = '', ...defaultParts] = splitDefault(text);
  if (defaultParts.length > 0) defaultValue = defaultParts.join('=');
  const [name = '', ...constraintSpecs] = splitConstraints(nameAndConstraints);
  if (!name) throw new Error(`Empty route parameter name in "{${body}}"`);
  if (optional && defaultValue !== undefined)
    throw new Error(`An optional parameter cannot have a default value: "{${body}}"`);
  return {
    kind: 'param',
    name,
    optional,
    catchAll,
    defaultValue,
    constraints: constraintSpecs.map((c) => makeConstraint(c, unknown)),
  };
}

/** `=` separates a default value, but only outside constraint arguments. */
function splitDefault(text: string): string[] {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '=' && depth === 0) return [text.slice(0, i), text.slice(i + 1)];
  }
  return [text];
}

function parseSegment(raw: string, unknown: string[]): Segment {
  const parts: (string | ParamPart)[] = [];
  let i = 0;
  let literal = '';
  while (i < raw.length) {
    const ch = raw[i];
    if (ch === '{' && raw[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && raw[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '{') {
      // Parameter bodies may contain braces inside regex(...) arguments; track depth.
      let depth = 1;
      let j = i + 1;
      while (j < raw.length && depth > 0) {
        if (raw[j] === '{') depth++;
        else if (raw[j] === '}') depth--;
        j++;
      }
      if (depth !== 0) throw new Error(`Unclosed "{" in route segment "${raw}"`);
      if (literal) parts.push(literal);
      literal = '';
      // `{{`/`}}` escape braces inside constraint arguments, e.g. `{code:regex(^\d{{3}}$)}`.
      parts.push(
        parseParam(
          raw
            .slice(i + 1, j - 1)
            .replace(/\{\{/g, '{')
            .replace(/\}\}/g, '}'),
          unknown,
        ),
      );
      i = j;
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal) parts.push(literal);

  const [only] = parts;
  if (parts.length === 1 && typeof only === 'object') return { kind: 'param', param: only };
  if (parts.every((p) => typeof p === 'string')) return { kind: 'literal', text: parts.join('') };
  return { kind: 'complex', parts: complexParts(raw, parts) };
}

/** Applies ASP.NET's rules for a segment with more than one part. */
function complexParts(raw: string, parts: (string | ParamPart)[]): ComplexPart[] {
  const out: ComplexPart[] = parts.map((p) => (typeof p === 'string' ? { kind: 'literal', text: p } : p));
  out.forEach((part, i) => {
    if (part.kind !== 'param') return;
    if (part.catchAll) throw new Error(`Route segment "${raw}" mixes a catch-all parameter with other parts`);
    if (out[i + 1]?.kind === 'param')
      throw new Error(
        `Route segment "${raw}" has two consecutive parameters; separate them with a literal or "/"`,
      );
    if (!part.optional) return;
    const before = out[i - 1];
    if (i !== out.length - 1)
      throw new Error(`In route segment "${raw}", optional parameter "${part.name}" must be last`);
    if (before?.kind !== 'literal' || before.text !== '.')
      throw new Error(
        `In route segment "${raw}", only a period (.) can precede optional parameter "${part.name}"`,
      );
    out[i - 1] = { kind: 'separator', text: '.' };
  });
  return out;
}

export function compileRoute<T>(template: string, target: T, methods?: readonly string[]): CompiledRoute<T> {
  const unknownConstraints: string[] = [];
  const segments = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => parseSegment(s, unknownConstraints));
  segments.forEach((s, i) => {
    if (s.kind === 'param' && s.param.catchAll && i !== segments.length - 1) {
      throw new Error(`Catch-all parameter must be the last segment in route "${template}"`);
    }
  });
  return {
    template,
    segments,
    methods: methods && methods.length > 0 ? new Set(methods.map((m) => m.toUpperCase())) : undefined,
    target,
    unknownConstraints,
  };
}

/** ASP.NET's inbound precedence digit: lower is tried first. */
function segmentRank(s: Segment): number {
  if (s.kind === 'literal') return 1;
  if (s.kind === 'complex') return 2;
  const constrained = s.param.constraints.length > 0;
  if (s.param.catchAll) return constrained ? 4 : 5;
  return constrained ? 2 : 3;
}

/**
 * Orders routes like ASP.NET's inbound precedence (RoutePrecedence.ComputeInbound): segment by
 * segment, more specific first; a route that is a prefix of another comes first (`items` before
 * `items/{id?}`).
 */
export function compareRoutes<T>(a: CompiledRoute<T>, b: CompiledRoute<T>): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const sa = a.segments[i];
    const sb = b.segments[i];
    if (!sa || !sb) return sa ? 1 : -1;
    const d = segmentRank(sa) - segmentRank(sb);
    if (d !== 0) return d;
  }
  // Routes with a method filter beat "any method" routes of the same shape.
  return (a.methods ? 0 : 1) - (b.methods ? 0 : 1);
}

function checkParam(p: ParamPart, value: string): boolean {
  return p.constraints.every((c) => c(value));
}

const canBeOmitted = (p: ParamPart): boolean => p.optional || p.defaultValue !== undefined;

function indexOfLastCaseless(haystack: string, needle: string, end: number): number {
  return haystack.slice(0, end).toLowerCase().lastIndexOf(needle.toLowerCase());
}

/**
 * One pass of ASP.NET's complex-segment match over `parts[0..last]`, right to left: each literal
 * is found with LastIndexOf in what is left of the text (leaving a character for a parameter
 * waiting on its right), and that parameter takes the text between the literal and the previous
 * cut. No backtracking: `{name}.{ext}` on `a.b.c` gives name `a.b`, ext `c`.
 */
function matchComplexFrom(parts: ComplexPart[], last: number, text: string): Map<ParamPart, string> | null {
  const values = new Map<ParamPart, string>();
  let end = text.length;
  let pending: ParamPart | undefined;
  for (let i = last; i >= 0; i--) {
    const part = parts[i]!;
    if (part.kind === 'param') {
      pending = part;
      if (i > 0) continue;
      // Leftmost part: the parameter takes everything that is left.
      if (end === 0) return null;
      values.set(part, text.slice(0, end));
      break;
    }
    const searchEnd = pending ? end - 1 : end;
    if (searchEnd <= 0) return null;
    const at = indexOfLastCaseless(text, part.text, searchEnd);
    if (at < 0) return null;
    // A literal at the very end of the template must end the text (`{a}x` does not match `1xy`).
    if (i === parts.length - 1 && at + part.text.length !== text.length) return null;
    if (pending) {
      const value = text.slice(at + part.text.length, end);
      if (value === '') return null;
      values.set(pending, value);
      pending = undefined;
    }
    end = at;
  }
  // A literal at the start of the template must start the text.
  return end === 0 || parts[0]!.kind === 'param' ? values : null;
}

/** ASP.NET's MatchComplexSegment: a final `.{x?}` may be absent, but not half there (`name.`). */
function matchComplex(parts: ComplexPart[], text: string): Map<ParamPart, string> | null {
  const last = parts.length - 1;
  const lastPart = parts[last];
  const separator = parts[last - 1];
  const full = matchComplexFrom(parts, last, text);
  if (full || lastPart?.kind !== 'param' || !lastPart.optional || separator?.kind !== 'separator')
    return full;
  if (text.toLowerCase().endsWith(separator.text)) return null;
  return matchComplexFrom(parts, last - 2, text);
}

/** Matches decoded path segments (prefix already removed) against one route; null if no match. */
export function matchRoute<T>(
  route: CompiledRoute<T>,
  pathSegments: readonly string[],
): Record<string, string> | null {
  const params: Record<string, string> = {};
  const { segments } = route;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const value = pathSegments[i];
    if (seg.kind === 'param' && seg.param.catchAll) {
      const rest = pathSegments.slice(i).join('/');
      if (rest === '' && seg.param.defaultValue !== undefined)
        params[seg.param.name] = seg.param.defaultValue;
      else if (rest !== '') {
        if (!checkParam(seg.param, rest)) return null;
        params[seg.param.name] = rest;
      }
      return params;
    }
    if (value === undefined) {
      // Missing trailing segments are fine only if every remaining one is an optional parameter.
      for (const rest of segments.slice(i)) {
        if (rest.kind !== 'param' || !(canBeOmitted(rest.param) || rest.param.catchAll)) return null;
        if (rest.param.defaultValue !== undefined) params[rest.param.name] = rest.param.defaultValue;
      }
      return params;
    }
    if (seg.kind === 'literal') {
      if (seg.text.toLowerCase() !== value.toLowerCase()) return null;
    } else if (seg.kind === 'param') {
      if (!checkParam(seg.param, value)) return null;
      params[seg.param.name] = value;
    } else {
      const values = matchComplex(seg.parts, value);
      if (!values) return null;
      for (const p of seg.parts) {
        if (p.kind !== 'param') continue;
        const v = values.get(p);
        if (v === undefined) {
          if (p.defaultValue !== undefined) params[p.name] = p.defaultValue;
          continue;
        }
        // Constraints are checked on the values the match produced; a failure is no match.
        if (!checkParam(p, v)) return null;
        params[p.name] = v;
      }
    }
  }
  return pathSegments.length === segments.length ? params : null;
}

export class Router<T> {
  #routes: CompiledRoute<T>[] = [];

  add(template: string, target: T, methods?: readonly string[]): CompiledRoute<T> {
    const route = compileRoute(template, target, methods);
    this.#routes.push(route);
    this.#routes.sort(compareRoutes);
    return route;
  }

  get routes(): readonly CompiledRoute<T>[] {
    return this.#routes;
  }

  /** `methodMismatch` tells the caller a route exists for the path but not for this method. */
  match(method: string, pathSegments: readonly string[]): { match?: RouteMatch<T>; methodMismatch: boolean } {
    let methodMismatch = false;
    const upper = method.toUpperCase();
    for (const route of this.#routes) {
      const params = matchRoute(route, pathSegments);
      if (!params) continue;
      if (route.methods && !route.methods.has(upper)) {
        methodMismatch = true;
        continue;
      }
      return { match: { route, params }, methodMismatch };
    }
    return { methodMismatch };
  }
}
