/**
 * Blob trigger paths (`container/{userId}/{name}.{ext}`), matched the way the WebJobs SDK's
 * BindingTemplateSource does: the container is literal, every `{param}` in the blob name captures
 * greedily (`.*`, so `{name}` may span virtual folders), literals match exactly, `{{`/`}}` stand
 * for braces, and the whole blob name must match.
 */

export interface BlobPathTemplate {
  /** The path as declared, e.g. `documents/{userId}/{name}`. */
  readonly source: string;
  readonly container: string;
  /** Literal start of the blob name (before the first parameter): the listing prefix. */
  readonly prefix: string;
  readonly parameters: readonly string[];
  /** The parameters' values for a blob name, or undefined when the name does not match. */
  match(blobName: string): Record<string, string> | undefined;
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Splits a blob name template into literal text and parameter names. */
function tokenize(template: string): ({ literal: string } | { parameter: string })[] {
  const tokens: ({ literal: string } | { parameter: string })[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '{' && template[i + 1] === '{') {
      literal += '{';
      i++;
    } else if (c === '}' && template[i + 1] === '}') {
      literal += '}';
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) throw new Error(`Unbalanced "{" in blob path "${template}"`);
      const name = template.slice(i + 1, end).trim();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new Error(`Invalid parameter "{${name}}" in blob path "${template}"`);
      }
      if (literal) tokens.push({ literal });
      literal = '';
      tokens.push({ parameter: name });
      i = end;
    } else if (c === '}') {
      throw new Error(`Unbalanced "}" in blob path "${template}"`);
    } else {
      literal += c;
    }
  }
  if (literal) tokens.push({ literal });
  return tokens;
}

export function parseBlobPath(path: string): BlobPathTemplate {
  const trimmed = path.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  const container = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const blobTemplate = slash < 0 ? '' : trimmed.slice(slash + 1);
  if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(container)) {
    throw new Error(
      `Blob trigger path "${path}" must start with a literal container name (3-63 lower-case letters, digits, dashes)`,
    );
  }
  const tokens = tokenize(blobTemplate);
  const parameters: string[] = [];
  let pattern = '^';
  for (const token of tokens) {
    if ('literal' in token) {
      pattern += escapeRegex(token.literal);
    } else {
      if (parameters.includes(token.parameter)) {
        throw new Error(`Parameter "{${token.parameter}}" appears twice in blob path "${path}"`);
      }
      parameters.push(token.parameter);
      pattern += `(?<${token.parameter}>.*)`;
    }
  }
  // A bare container (or `container/`) means every blob in it.
  const regex = tokens.length === 0 ? /^.+$/s : new RegExp(`${pattern}$`, 's');
  const first = tokens[0];
  const prefix = first && 'literal' in first ? first.literal : '';
  return {
    source: path,
    container,
    prefix,
    parameters,
    match(blobName) {
      const m = regex.exec(blobName);
      if (!m) return undefined;
      const values: Record<string, string> = {};
      for (const name of parameters) values[name] = m.groups?.[name] ?? '';
      return values;
    },
  };
}
