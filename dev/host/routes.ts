/**
 * ASP.NET-style route templates as used by Functions HTTP triggers:
 * `conversations/{id}`, `{id?}`, `{id=default}`, `{*rest}`, `{id:int}`, `{id:guid?}`, `files/{name}.{ext}`.
 * Literal segments match case-insensitively and win over parameters.
 */

type Constraint = (value: string) => boolean;

interface ParamPart {
  kind: 'param';
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
}

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; param: ParamPart }
  // Mixed literal/parameter segment like `{name}.{ext}`.
  | { kind: 'complex'; regex: RegExp; params: ParamPart[] };

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
  return {
    kind: 'param',
    name,
    optional: optional || defaultValue !== undefined,
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

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
  const params = parts.filter((p): p is ParamPart => typeof p !== 'string');
  const source = parts
    .map((p) => (typeof p === 'string' ? escapeRegex(p) : p.optional ? '(.*?)' : '(.+?)'))
    .join('');
  return { kind: 'complex', regex: new RegExp(`^${source}$`, 'i'), params };
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

function segmentRank(s: Segment): number {
  if (s.kind === 'literal') return 0;
  if (s.kind === 'complex') return 1;
  if (s.param.catchAll) return 5;
  if (s.param.optional) return 4;
  return s.param.constraints.length > 0 ? 2 : 3;
}

/** Orders routes like ASP.NET's route precedence: more specific segment by segment, then longer. */
export function compareRoutes<T>(a: CompiledRoute<T>, b: CompiledRoute<T>): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const sa = a.segments[i];
    const sb = b.segments[i];
    if (!sa || !sb) return sa ? -1 : 1;
    const d = segmentRank(sa) - segmentRank(sb);
    if (d !== 0) return d;
  }
  // Routes with a method filter beat "any method" routes of the same shape.
  return (a.methods ? 0 : 1) - (b.methods ? 0 : 1);
}

function checkParam(p: ParamPart, value: string): boolean {
  return p.constraints.every((c) => c(value));
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
        if (rest.kind !== 'param' || !(rest.param.optional || rest.param.catchAll)) return null;
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
      const m = seg.regex.exec(value);
      if (!m) return null;
      for (let k = 0; k < seg.params.length; k++) {
        const p = seg.params[k]!;
        const v = m[k + 1] ?? '';
        if (v === '') {
          if (!p.optional) return null;
          if (p.defaultValue !== undefined) params[p.name] = p.defaultValue;
          continue;
        }
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
