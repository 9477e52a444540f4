/**
 * Syntax highlighting, loaded on demand (it is the heaviest thing the chat shows and most replies
 * have no code). Only common languages are registered; anything else is shown unhighlighted.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import plaintext from 'highlight.js/lib/languages/plaintext';
import powershell from 'highlight.js/lib/languages/powershell';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import scss from 'highlight.js/lib/languages/scss';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages = {
  bash,
  c,
  cpp,
  csharp,
  css,
  diff,
  dockerfile,
  go,
  ini,
  java,
  javascript,
  json,
  kotlin,
  markdown,
  php,
  plaintext,
  powershell,
  python,
  ruby,
  rust,
  scss,
  shell,
  sql,
  swift,
  typescript,
  xml,
  yaml,
};
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);

/** Auto-detection is costly and often wrong on short snippets; try it only among the usual suspects. */
const AUTO_DETECT = [
  'python',
  'javascript',
  'typescript',
  'bash',
  'json',
  'xml',
  'css',
  'sql',
  'java',
  'cpp',
  'go',
  'rust',
];
const AUTO_DETECT_MAX_CHARS = 4000;

export interface Highlighted {
  html: string;
  language: string;
}

/** `guess`: detect the language of an unlabelled block (skipped while a reply is still streaming). */
export function highlight(code: string, lang: string, guess: boolean): Highlighted | undefined {
  const known = lang ? hljs.getLanguage(lang) : undefined;
  if (known) {
    const result = hljs.highlight(code, { language: lang, ignoreIllegals: true });
    return { html: result.value, language: known.name ?? lang };
  }
  if (lang || !guess || code.length > AUTO_DETECT_MAX_CHARS) return undefined;
  const auto = hljs.highlightAuto(code, AUTO_DETECT);
  if (!auto.language || auto.relevance < 5) return undefined;
  return { html: auto.value, language: hljs.getLanguage(auto.language)?.name ?? auto.language };
}
