export type DocumentKind = 'pdf' | 'docx' | 'html' | 'markdown' | 'csv' | 'json' | 'text';

export interface SniffedDocument {
  kind: DocumentKind;
  contentType: string;
}

export const contentTypes: Record<DocumentKind, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  html: 'text/html',
  markdown: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  text: 'text/plain',
};

const DOCX_MIME = contentTypes.docx;

// file-type is ESM-only; the app compiles to CommonJS, so it is loaded with a real import().
const loadFileType = () => import('file-type');
let fileTypeModule: ReturnType<typeof loadFileType> | undefined;
const fileType = () => (fileTypeModule ??= loadFileType());

/**
 * What a file is, from its bytes alone (a name or a Content-Type can say anything).
 * null: not a type we read — an image, an executable, a zip that is not a DOCX, text that
 * is not UTF-8. An empty file is text, so that extraction can say it is empty.
 */
export async function sniffDocument(bytes: Uint8Array): Promise<SniffedDocument | null> {
  if (bytes.byteLength === 0) return sniffed('text');
  if (startsWithPdf(bytes)) return sniffed('pdf');
  const { fileTypeFromBuffer } = await fileType();
  const detected = await fileTypeFromBuffer(bytes).catch(() => undefined);
  if (detected) {
    if (detected.mime === 'application/pdf') return sniffed('pdf');
    if (detected.mime === DOCX_MIME) return sniffed('docx');
    // file-type recognises a few text formats by their opening (`<?xml`); those are judged as text.
    if (!TEXTUAL_DETECTIONS.has(detected.mime)) return null;
  }
  const text = decodeUtf8(bytes);
  if (text === null) return null;
  return sniffText(text);
}

const TEXTUAL_DETECTIONS = new Set(['application/xml', 'text/xml', 'image/svg+xml']);

const sniffed = (kind: DocumentKind): SniffedDocument => ({ kind, contentType: contentTypes[kind] });

// PDF readers accept the header anywhere in the first KiB (some generators emit junk first),
// where file-type only looks at byte 0. Text that merely mentions "%PDF-" early has no end
// marker, so that is asked for too when the header is not at the start.
function startsWithPdf(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = buf.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1');
  if (at === 0) return true;
  return at > 0 && buf.subarray(Math.max(0, buf.length - 2048)).includes('%%EOF', 0, 'latin1');
}

/** UTF-8 text without NULs and with few control characters, BOM removed; null otherwise. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return null;
    // Tab, newlines and form feed are text; other C0 controls in quantity mean a binary file.
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) controls++;
  }
  if (controls > Math.max(2, text.length / 1000)) return null;
  return text;
}

/** The structure of decoded text: JSON, HTML, CSV, Markdown, or plain. */
export function sniffText(text: string): SniffedDocument {
  const trimmed = text.trim();
  if (trimmed === '') return sniffed('text');
  if (isJson(trimmed)) return sniffed('json');
  if (isNdjson(trimmed)) return { kind: 'json', contentType: 'application/x-ndjson' };
  if (isHtml(trimmed)) return sniffed('html');
  const csv = csvDelimiter(trimmed);
  if (csv) return { kind: 'csv', contentType: csv === '\t' ? 'text/tab-separated-values' : 'text/csv' };
  if (isMarkdown(trimmed)) return sniffed('markdown');
  return sniffed('text');
}

function isJson(text: string): boolean {
  const first = text[0];
  if (first !== '{' && first !== '[') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function isNdjson(text: string): boolean {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) return false;
  return lines.every((l) => {
    const t = l.trim();
    return (t.startsWith('{') || t.startsWith('[')) && isJson(t);
  });
}

const HTML_DOCUMENT = /^(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>])/i;
const HTML_SKELETON = /<(?:head|body)[\s>]/i;
const HTML_FRAGMENT_START =
  /^<(?:div|p|section|article|main|header|table|h[1-6]|ul|ol|span|meta|title|link|style|script)[\s>/]/i;
const CLOSING_TAG = /<\/[a-z][a-z0-9]*\s*>/i;

function isHtml(text: string): boolean {
  if (HTML_DOCUMENT.test(text)) return true;
  const head = text.slice(0, 4096);
  if (HTML_SKELETON.test(head) && CLOSING_TAG.test(text)) return true;
  // A fragment (an exported snippet): starts with a known element and closes tags. Markdown
  // with inline HTML starts with prose or a heading, so it is not taken for HTML.
  return HTML_FRAGMENT_START.test(text) && CLOSING_TAG.test(text);
}

/**
 * The delimiter when the text looks like a table: the first records (quotes respected) all
 * have the same number (≥ 2) of fields. Two records need three fields: two lines of prose,
 * each with one comma, are not a table.
 */
function csvDelimiter(text: string): string | null {
  for (const delimiter of [',', '\t', ';', '|']) {
    const counts = fieldCounts(text, delimiter, 20);
    if (counts === null || counts.length < 2) continue;
    const n = counts[0]!;
    if (n < 2 || !counts.every((c) => c === n)) continue;
    if (counts.length === 2 && n < 3) continue;
    return delimiter;
  }
  return null;
}

/** Field counts of the first `maxRecords` records; null when a quote never closes. */
function fieldCounts(text: string, delimiter: string, maxRecords: number): number[] | null {
  const counts: number[] = [];
  let fields = 1;
  let quoted = false;
  let atFieldStart = true;
  let recordHasContent = false;
  for (let i = 0; i < text.length && counts.length < maxRecords; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') i++;
        else quoted = false;
      }
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
      recordHasContent = true;
    } else if (c === delimiter) {
      fields++;
      atFieldStart = true;
      recordHasContent = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (recordHasContent) counts.push(fields);
      fields = 1;
      atFieldStart = true;
      recordHasContent = false;
    } else {
      if (c !== ' ') atFieldStart = false;
      recordHasContent = true;
    }
  }
  if (quoted && counts.length < maxRecords) return null;
  if (recordHasContent && counts.length < maxRecords) counts.push(fields);
  return counts;
}

const MARKDOWN_MARKERS: RegExp[] = [
  /^#{1,6}\s+\S/m, // ATX heading
  /^\S.*\n(?:=+|-+)\s*$/m, // Setext heading
  /^```|^~~~/m, // fenced code
  /^\s{0,3}(?:[-*+]|\d+[.)])\s+\S/m, // list item
  /\[[^\]\n]+\]\([^)\s]+\)/, // link
  /(?:\*\*|__)[^\s*_][^*_\n]*(?:\*\*|__)/, // strong emphasis
  /^>\s?\S/m, // block quote
  /^\|?.*\|.*\n\|?\s*:?-{3,}:?\s*\|/m, // table
  /`[^`\n]+`/, // inline code
];

/**
 * A file that opens with a heading, a heading and one more marker, or three kinds of marker:
 * one list alone is still plain text.
 */
function isMarkdown(text: string): boolean {
  if (/^#{1,6}\s+\S/.test(text)) return true;
  const sample = text.slice(0, 20_000);
  const hits = MARKDOWN_MARKERS.filter((re) => re.test(sample)).length;
  const heading = MARKDOWN_MARKERS[0]!.test(sample) || MARKDOWN_MARKERS[1]!.test(sample);
  return (heading && hits >= 2) || hits >= 3;
}
