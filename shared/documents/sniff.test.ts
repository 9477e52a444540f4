import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { docxOf, pdfOf, zipOf } from './fixtures';
import { sniffDocument } from './sniff';

const utf8 = (s: string) => new TextEncoder().encode(s);
const kindOf = async (bytes: Uint8Array) => (await sniffDocument(bytes))?.kind ?? null;

// The smallest valid PNG header and an ELF header: what a renamed image or program starts with.
const PNG = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1,
  8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde,
]);
const ELF = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array<number>(56).fill(0)]);

describe('sniffDocument', () => {
  it('knows a PDF and a DOCX by their bytes', async () => {
    expect(await sniffDocument(await pdfOf([['Hello']]))).toEqual({
      kind: 'pdf',
      contentType: 'application/pdf',
    });
    expect(await sniffDocument(docxOf(['Hello']))).toEqual({
      kind: 'docx',
      contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    });
  });

  it('refuses images, programs, a zip that is not a DOCX, and bytes that are not UTF-8', async () => {
    expect(await sniffDocument(PNG)).toBeNull();
    expect(await sniffDocument(ELF)).toBeNull();
    expect(await sniffDocument(zipOf([{ name: 'notes.txt', data: 'just a zip' }]))).toBeNull();
    expect(await sniffDocument(Uint8Array.from([0x68, 0x69, 0xff, 0xfe, 0x20, 0x21]))).toBeNull();
    expect(await sniffDocument(utf8('text with a \u0000 NUL'))).toBeNull();
    expect(await sniffDocument(deflateRawSync(Buffer.alloc(4096, 7)))).toBeNull();
  });

  it('tells JSON, NDJSON, HTML, CSV, TSV, Markdown and plain text apart by structure', async () => {
    expect(await kindOf(utf8('{"a": [1, 2, {"b": null}]}'))).toBe('json');
    expect(await sniffDocument(utf8('{"a":1}\n{"a":2}\n'))).toEqual({
      kind: 'json',
      contentType: 'application/x-ndjson',
    });
    expect(await kindOf(utf8('<!DOCTYPE html><html><body><p>Hi</p></body></html>'))).toBe('html');
    expect(await kindOf(utf8('<div class="x"><p>A fragment</p></div>'))).toBe('html');
    expect(await sniffDocument(utf8('name,age,city\nAda,36,London\n"Lovelace, A",36,"Lon\ndon"\n'))).toEqual({
      kind: 'csv',
      contentType: 'text/csv',
    });
    expect(await sniffDocument(utf8('a\tb\n1\t2\n3\t4\n'))).toEqual({
      kind: 'csv',
      contentType: 'text/tab-separated-values',
    });
    expect(await kindOf(utf8('# Title\n\nSome *text* and a [link](https://example.com).\n'))).toBe(
      'markdown',
    );
    expect(await kindOf(utf8('Intro\n\n- one\n- two\n\nSee `code` and **bold** text.\n'))).toBe('markdown');
    expect(await kindOf(utf8('Dear Ada,\nthank you for the letter.\nYours, Charles\n'))).toBe('text');
    expect(await kindOf(utf8('A list alone:\n- eggs\n- milk\n'))).toBe('text');
  });

  it('is not fooled by a name-like opening: broken JSON is text, prose with one comma per line is not CSV', async () => {
    expect(await kindOf(utf8('{"unterminated": '))).toBe('text');
    expect(await kindOf(utf8('Hello, world\nGoodbye, moon\n'))).toBe('text');
    expect(await kindOf(utf8('Markdown may hold <b>inline</b> HTML.\n\n# Heading\n\n- item\n'))).toBe(
      'markdown',
    );
  });

  it('reads a UTF-8 BOM and non-Latin text as text, and an empty file as text (extraction says it is empty)', async () => {
    expect(await kindOf(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8('Grüße, 世界')]))).toBe('text');
    expect(await kindOf(new Uint8Array(0))).toBe('text');
  });

  it('takes a PDF header after leading junk only when the file ends like a PDF', async () => {
    const pdf = await pdfOf([['Hello']]);
    expect(await kindOf(new Uint8Array([...utf8('junk\n'), ...pdf]))).toBe('pdf');
    expect(await kindOf(utf8('This note mentions %PDF-1.7 near its start, and is text.'))).toBe('text');
  });
});
