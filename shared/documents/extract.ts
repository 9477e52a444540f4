import { inflateRawSync } from 'node:zlib';
import mammoth from 'mammoth';
import { extractText as extractPdfText, getDocumentProxy } from 'unpdf';
import type { DocumentKind } from './sniff';
import { decodeUtf8 } from './sniff';

export interface ExtractLimits {
  /** A PDF with more pages is refused (not cut: a silently partial document answers wrongly). */
  maxPages: number;
  /** Extracted text longer than this is refused. */
  maxChars: number;
  /** A DOCX whose parts unpack to more than this is refused before it is unpacked. */
  maxUncompressedBytes: number;
}

export interface ExtractedPage {
  /** 1-based page number for PDFs; null where a format has no pages. */
  page: number | null;
  text: string;
}

export type RejectionReason = 'empty' | 'password' | 'no_text' | 'too_large' | 'corrupt';

/** A file we will not index, and why, in a sentence its owner can act on. */
export class DocumentRejected extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
    this.name = 'DocumentRejected';
  }
}

export const rejections = {
  empty: () => new DocumentRejected('empty', 'The file is empty.'),
  password: () =>
    new DocumentRejected(
      'password',
      'This PDF is password-protected. Remove the password and upload it again.',
    ),
  scanned: () =>
    new DocumentRejected('no_text', 'No text found: scanned pages need OCR, which we do not do yet.'),
  noText: () => new DocumentRejected('no_text', 'This document has no text to read.'),
  tooManyPages: (pages: number, max: number) =>
    new DocumentRejected(
      'too_large',
      `This PDF has ${pages.toLocaleString('en')} pages; the most we read is ${max.toLocaleString('en')}. Split it into smaller files and upload them.`,
    ),
  tooMuchText: (max: number) =>
    new DocumentRejected(
      'too_large',
      `This document has more than ${max.toLocaleString('en')} characters of text, more than we index in one file. Split it into smaller files and upload them.`,
    ),
  zipBomb: (maxBytes: number) =>
    new DocumentRejected(
      'too_large',
      `This DOCX unpacks to more than ${Math.round(maxBytes / 1024 / 1024)} MB, which we do not open. Save it again without large embedded files, or split it, and upload it again.`,
    ),
  corruptPdf: () =>
    new DocumentRejected(
      'corrupt',
      'This PDF could not be read: the file looks damaged. Open it in a PDF reader, export it again as PDF, and upload the new file.',
    ),
  corruptDocx: () =>
    new DocumentRejected(
      'corrupt',
      'This DOCX could not be read: the file looks damaged. Open it in your word processor, save it again as .docx, and upload the new file.',
    ),
  notUtf8: () =>
    new DocumentRejected('corrupt', 'This file is not UTF-8 text. Save it as UTF-8 and upload it again.'),
};

/** The text of a document, page by page where the format has pages. Throws DocumentRejected. */
export async function extractDocument(
  bytes: Uint8Array,
  kind: DocumentKind,
  limits: ExtractLimits,
): Promise<{ pages: ExtractedPage[] }> {
  if (bytes.byteLength === 0) throw rejections.empty();
  let pages: ExtractedPage[];
  switch (kind) {
    case 'pdf':
      pages = await extractPdf(bytes, limits);
      break;
    case 'docx':
      pages = [{ page: null, text: await extractDocx(bytes, limits) }];
      break;
    default:
      pages = [{ page: null, text: extractText(bytes, kind) }];
  }
  if (pages.reduce((n, p) => n + p.text.length, 0) > limits.maxChars)
    throw rejections.tooMuchText(limits.maxChars);
  if (pages.every((p) => p.text.trim() === '')) {
    if (kind === 'pdf') throw rejections.scanned();
    if (kind === 'docx') throw rejections.noText();
    throw rejections.empty();
  }
  return { pages };
}

async function extractPdf(bytes: Uint8Array, limits: ExtractLimits): Promise<ExtractedPage[]> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // A copy: pdf.js may take over (detach) the buffer it is given, and the caller's bytes stay theirs.
    // verbosity 0: pdf.js's warnings about repairs go to the console otherwise.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (err) {
    if (errorName(err) === 'PasswordException') throw rejections.password();
    throw rejections.corruptPdf();
  }
  try {
    if (pdf.numPages > limits.maxPages) throw rejections.tooManyPages(pdf.numPages, limits.maxPages);
    let text: string[];
    try {
      ({ text } = await extractPdfText(pdf, { mergePages: false }));
    } catch {
      throw rejections.corruptPdf();
    }
    return text.map((t, i) => ({ page: i + 1, text: tidy(t) }));
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

const errorName = (err: unknown) =>
  typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';

async function extractDocx(bytes: Uint8Array, limits: ExtractLimits): Promise<string> {
  checkZip(bytes, limits.maxUncompressedBytes);
  try {
    const result = await mammoth.extractRawText({
      buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    });
    return tidy(result.value);
  } catch {
    throw rejections.corruptDocx();
  }
}

/**
 * Guards mammoth (JSZip) against zip bombs: the central directory's declared sizes must stay
 * within the budget and a plausible ratio, and each entry is inflated here with a ceiling so
 * that sizes that lie are caught before JSZip inflates them without one.
 */
export function checkZip(bytes: Uint8Array, maxUncompressedBytes: number): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = zipEntries(buf);
  if (entries === null || entries.length === 0) throw rejections.corruptDocx();
  let declared = 0;
  for (const e of entries) {
    declared += e.uncompressedSize;
    if (declared > maxUncompressedBytes) throw rejections.zipBomb(maxUncompressedBytes);
    // Office XML deflates 5–20×; deflate itself cannot exceed ~1032×. Past 200× in a large
    // part, the file was made to expand, not to be read.
    if (e.uncompressedSize > 1024 * 1024 && e.uncompressedSize > MAX_RATIO * Math.max(1, e.compressedSize)) {
      throw rejections.zipBomb(maxUncompressedBytes);
    }
  }
  for (const e of entries) {
    const nameLength = buf.readUInt16LE(e.localHeaderOffset + 26);
    const extraLength = buf.readUInt16LE(e.localHeaderOffset + 28);
    const start = e.localHeaderOffset + 30 + nameLength + extraLength;
    if (buf.readUInt32LE(e.localHeaderOffset) !== LOCAL_SIGNATURE || start + e.compressedSize > buf.length) {
      throw rejections.corruptDocx();
    }
    if (e.method === 0) {
      if (e.compressedSize !== e.uncompressedSize) throw rejections.corruptDocx();
      continue;
    }
    if (e.method !== 8) throw rejections.corruptDocx();
    let out: Buffer;
    try {
      out = inflateRawSync(buf.subarray(start, start + e.compressedSize), {
        maxOutputLength: Math.max(1, e.uncompressedSize),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw rejections.zipBomb(maxUncompressedBytes);
      }
      throw rejections.corruptDocx();
    }
    if (out.length !== e.uncompressedSize) throw rejections.corruptDocx();
  }
}

const MAX_RATIO = 200;
const LOCAL_SIGNATURE = 0x04034b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;

interface ZipEntry {
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** The central directory; null when it is missing, inconsistent, or ZIP64 (no DOCX within our limits needs it). */
function zipEntries(buf: Buffer): ZipEntry[] | null {
  const minEnd = Math.max(0, buf.length - 22 - 0xffff);
  let end = -1;
  for (let i = buf.length - 22; i >= minEnd; i--) {
    if (buf.readUInt32LE(i) === END_SIGNATURE) {
      end = i;
      break;
    }
  }
  if (end < 0) return null;
  const count = buf.readUInt16LE(end + 10);
  const dirOffset = buf.readUInt32LE(end + 16);
  if (count === 0xffff || dirOffset === 0xffffffff) return null;
  const entries: ZipEntry[] = [];
  let p = dirOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL_SIGNATURE) return null;
    const entry = {
      method: buf.readUInt16LE(p + 10),
      compressedSize: buf.readUInt32LE(p + 20),
      uncompressedSize: buf.readUInt32LE(p + 24),
      localHeaderOffset: buf.readUInt32LE(p + 42),
    };
    if (
      entry.compressedSize === 0xffffffff ||
      entry.uncompressedSize === 0xffffffff ||
      entry.localHeaderOffset + 30 > buf.length
    ) {
      return null;
    }
    entries.push(entry);
    p += 46 + buf.readUInt16LE(p + 28) + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return entries;
}

function extractText(bytes: Uint8Array, kind: DocumentKind): string {
  const text = decodeUtf8(bytes);
  if (text === null) throw rejections.notUtf8();
  switch (kind) {
    case 'html':
      return htmlToText(text);
    case 'json':
      return prettyJson(text);
    default:
      return tidy(text);
  }
}

/** Minified JSON is one long line; indented, it has the line breaks that chunking cuts at. */
function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return tidy(text); // NDJSON: already one record a line
  }
}

/** Unix line ends, no trailing spaces, at most one blank line in a row. */
function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\f\v\u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// A tag, attribute values quoted with either quote may contain `>`. Unambiguous, so linear.
const TAG = String.raw`<\/?[a-zA-Z][^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>`;
const HIDDEN = /<(script|style|noscript|template|svg|math|iframe|object|select)\b[\s\S]*?(?:<\/\1\s*>|$)/gi;
const BLOCK =
  /^<\/?(?:p|div|section|article|header|footer|main|nav|aside|h[1-6]|ul|ol|dl|dt|dd|table|thead|tbody|tfoot|tr|caption|blockquote|pre|figure|figcaption|hr|address|form|fieldset|details|summary|body|html)\b/i;

/**
 * Readable text of an HTML page: no scripts, styles or markup, paragraphs and headings on
 * their own lines, list items and table cells kept apart, entities decoded. Whitespace is
 * collapsed as a browser does (so <pre> loses its layout, not its words).
 */
export function htmlToText(html: string): string {
  const title = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html)?.[1];
  // Breaks that tags stand for are marked with private-use characters, so that collapsing
  // the source's own whitespace afterwards does not lose them.
  let s = html
    .replace(/[\uE000-\uE002]/g, '')
    .replace(/<!--[\s\S]*?(?:-->|$)/g, '')
    .replace(/<!\[CDATA\[[\s\S]*?(?:\]\]>|$)/g, '')
    .replace(/<!doctype[^>]*>/gi, '')
    .replace(/<head\b[\s\S]*?(?:<\/head\s*>|$)/gi, '')
    .replace(HIDDEN, ' ')
    .replace(new RegExp(TAG, 'g'), (tag) => {
      if (/^<br\b/i.test(tag)) return LINE;
      if (/^<li\b/i.test(tag)) return `${LINE}- `;
      if (/^<\/t[dh]\b/i.test(tag)) return CELL;
      if (BLOCK.test(tag)) return PARAGRAPH;
      return '';
    });
  s = decodeEntities(s.replace(/\s+/g, ' '))
    .replace(/\u00a0/g, ' ')
    .replace(/ *\uE002 *(?=[\uE000\uE001]|$)/g, '')
    .replace(/ *\uE002 */g, ' | ')
    .replace(/ *\uE001 */g, '\n\n')
    .replace(/ *\uE000 */g, '\n');
  const body = tidy(s);
  const heading = title ? tidy(decodeEntities(title.replace(/\s+/g, ' '))) : '';
  return heading && !body.startsWith(heading) ? `${heading}\n\n${body}` : body;
}

const LINE = '\uE000';
const PARAGRAPH = '\uE001';
const CELL = '\uE002';

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
  deg: '°',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  para: '¶',
  times: '×',
  divide: '÷',
  plusmn: '±',
  shy: '',
  zwj: '\u200d',
  zwnj: '\u200c',
};

export function decodeEntities(s: string): string {
  return s.replace(
    /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));?/g,
    (m, dec, hex, name) => {
      if (dec !== undefined || hex !== undefined) {
        const code = dec !== undefined ? Number(dec) : parseInt(hex as string, 16);
        return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
          ? String.fromCodePoint(code)
          : m;
      }
      return NAMED[name as string] ?? NAMED[(name as string).toLowerCase()] ?? m;
    },
  );
}
