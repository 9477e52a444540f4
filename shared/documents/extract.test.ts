import { describe, expect, it } from 'vitest';
import { DocumentRejected, checkZip, extractDocument, htmlToText } from './extract';
import { docxOf, docxParts, passwordProtectedPdf, pdfOf, pdfWithoutText, zipOf } from './fixtures';

const limits = { maxPages: 500, maxChars: 5_000_000, maxUncompressedBytes: 20 * 1024 * 1024 };
const utf8 = (s: string) => new TextEncoder().encode(s);

/** The rejection an extraction ends in, so a test can check both its reason and its sentence. */
async function rejection(p: Promise<unknown>): Promise<DocumentRejected> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DocumentRejected) return err;
    throw err;
  }
  throw new Error('expected a DocumentRejected');
}

describe('extractDocument: PDF', () => {
  it('keeps the text of each page with its page number, blank pages included', async () => {
    const pdf = await pdfOf([['First page, first line.', 'Second line.'], [], ['Third page.']]);
    const { pages } = await extractDocument(pdf, 'pdf', limits);
    expect(pages).toEqual([
      { page: 1, text: 'First page, first line.\nSecond line.' },
      { page: 2, text: '' },
      { page: 3, text: 'Third page.' },
    ]);
  });

  it('leaves the caller’s bytes usable (pdf.js may detach what it is given)', async () => {
    const pdf = await pdfOf([['Hello']]);
    await extractDocument(pdf, 'pdf', limits);
    expect(pdf.byteLength).toBeGreaterThan(0);
    expect((await extractDocument(pdf, 'pdf', limits)).pages[0]!.text).toBe('Hello');
  });

  it('refuses a password-protected PDF in words the owner can act on', async () => {
    const err = await rejection(extractDocument(await passwordProtectedPdf(), 'pdf', limits));
    expect(err.reason).toBe('password');
    expect(err.message).toBe('This PDF is password-protected. Remove the password and upload it again.');
  });

  it('refuses a PDF without a text layer: scans need OCR', async () => {
    const err = await rejection(extractDocument(await pdfWithoutText(), 'pdf', limits));
    expect(err.reason).toBe('no_text');
    expect(err.message).toBe('No text found: scanned pages need OCR, which we do not do yet.');
  });

  it('refuses a damaged PDF and a truncated one', async () => {
    const good = await pdfOf([['Hello']]);
    for (const bad of [utf8('%PDF-1.7\nnothing a reader can use'), good.subarray(0, 200)]) {
      const err = await rejection(extractDocument(bad, 'pdf', limits));
      expect(err.reason).toBe('corrupt');
      expect(err.message).toMatch(/could not be read.*upload the new file/);
    }
  });

  it('refuses more pages than the limit, saying how many it has', async () => {
    const pdf = await pdfOf([['a'], ['b'], ['c']]);
    const err = await rejection(extractDocument(pdf, 'pdf', { ...limits, maxPages: 2 }));
    expect(err.reason).toBe('too_large');
    expect(err.message).toMatch(/This PDF has 3 pages; the most we read is 2\. Split it/);
  });

  it('reads a generated 100-page PDF, page by page, in reasonable time', async () => {
    const pages = Array.from({ length: 100 }, (_, i) =>
      Array.from(
        { length: 40 },
        (_, j) => `Page ${i + 1} line ${j + 1}: the quick brown fox jumps over the lazy dog.`,
      ),
    );
    const pdf = await pdfOf(pages);
    const started = performance.now();
    const { pages: out } = await extractDocument(pdf, 'pdf', limits);
    const ms = performance.now() - started;
    expect(out).toHaveLength(100);
    expect(out[99]!.text).toContain('Page 100 line 40');
    console.info(`extract: 100-page PDF (${(pdf.byteLength / 1024).toFixed(0)} KiB) in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(15_000);
  });
});

describe('extractDocument: DOCX', () => {
  it('reads the paragraphs of a Word document (no pages: page is null)', async () => {
    const { pages } = await extractDocument(docxOf(['Heading', 'A paragraph of text.']), 'docx', limits);
    expect(pages).toEqual([{ page: null, text: 'Heading\n\nA paragraph of text.' }]);
  });

  it('refuses a zip bomb by its declared size, before unpacking it', async () => {
    const huge = docxParts(['x'], `<w:document>${' '.repeat(30 * 1024 * 1024)}</w:document>`);
    const err = await rejection(extractDocument(zipOf(huge), 'docx', limits));
    expect(err.reason).toBe('too_large');
    expect(err.message).toMatch(/unpacks to more than 20 MB/);
  });

  it('refuses a part that expands far more than a document does, even under the size limit', async () => {
    const dense = docxParts(['x'], `<w:document>${'a'.repeat(8 * 1024 * 1024)}</w:document>`);
    expect((await rejection(extractDocument(zipOf(dense), 'docx', limits))).reason).toBe('too_large');
  });

  it('refuses a zip whose headers understate what it unpacks to', async () => {
    const parts = docxParts(['x'], `<w:document>${'<w:p/>'.repeat(100_000)}</w:document>`);
    parts[2]!.declaredSize = 1000;
    const err = await rejection(extractDocument(zipOf(parts), 'docx', limits));
    expect(err.reason).toBe('too_large');
  });

  it('refuses a damaged DOCX and one without a document part', async () => {
    const good = docxOf(['Hello']);
    const damaged = good.slice();
    damaged.fill(0x41, 40, 120);
    expect((await rejection(extractDocument(damaged, 'docx', limits))).reason).toBe('corrupt');
    expect((await rejection(extractDocument(good.subarray(0, 100), 'docx', limits))).reason).toBe('corrupt');
    const noDocument = zipOf(docxParts(['x']).slice(0, 2));
    expect((await rejection(extractDocument(noDocument, 'docx', limits))).reason).toBe('corrupt');
  });

  it('refuses a DOCX with no text', async () => {
    const err = await rejection(extractDocument(docxOf([]), 'docx', limits));
    expect(err).toMatchObject({ reason: 'no_text', message: 'This document has no text to read.' });
  });
});

describe('extractDocument: text formats', () => {
  it('reads Markdown, CSV and plain text as they are, with Unix line ends', async () => {
    for (const kind of ['markdown', 'csv', 'text'] as const) {
      const { pages } = await extractDocument(utf8('\ufeffLine one\r\nLine two  \r\n'), kind, limits);
      expect(pages).toEqual([{ page: null, text: 'Line one\nLine two' }]);
    }
  });

  it('indents minified JSON, so that it has lines to cut at', async () => {
    const { pages } = await extractDocument(utf8('{"a":{"b":[1,2]}}'), 'json', limits);
    expect(pages[0]!.text).toBe('{\n  "a": {\n    "b": [\n      1,\n      2\n    ]\n  }\n}');
  });

  it('refuses an empty file, a blank one, more text than the limit, and text that is not UTF-8', async () => {
    expect((await rejection(extractDocument(new Uint8Array(0), 'text', limits))).message).toBe(
      'The file is empty.',
    );
    expect((await rejection(extractDocument(utf8(' \n\t\n'), 'text', limits))).reason).toBe('empty');
    const long = await rejection(
      extractDocument(utf8('word '.repeat(1000)), 'text', { ...limits, maxChars: 100 }),
    );
    expect(long.reason).toBe('too_large');
    expect(long.message).toMatch(/more than 100 characters/);
    const latin1 = Uint8Array.from([0x47, 0x72, 0xfc, 0xdf, 0x65]);
    expect((await rejection(extractDocument(latin1, 'text', limits))).message).toMatch(/not UTF-8/);
  });
});

describe('htmlToText', () => {
  it('drops scripts, styles, comments and markup, keeping blocks, items and cells apart', () => {
    const html = `<!doctype html><html><head><title>The &amp; Title</title><style>p{color:red}</style></head>
      <body><script>alert("x > y")</script><!-- hidden -->
      <h1>Heading</h1><p>First   paragraph
      continues here.</p><p>Second<br>line &ndash; with &#233; and &#x1F600;.</p>
      <ul><li>one</li><li>two</li></ul>
      <table><tr><th>Name</th><th>Age</th></tr><tr><td>Ada</td><td>36</td></tr></table>
      <a href="/x" title="a > b">link</a><noscript>enable js</noscript></body></html>`;
    expect(htmlToText(html)).toBe(
      'The & Title\n\nHeading\n\nFirst paragraph continues here.\n\nSecond\nline – with é and 😀.\n\n- one\n- two\n\nName | Age\n\nAda | 36\n\nlink',
    );
  });

  it('survives an unclosed script and stray angle brackets', () => {
    expect(htmlToText('<p>1 < 2 and 3 > 2</p><script>never closed')).toBe('1 < 2 and 3 > 2');
  });

  it('is what extractDocument returns for HTML', async () => {
    const { pages } = await extractDocument(utf8('<p>Hi <b>there</b></p>'), 'html', limits);
    expect(pages).toEqual([{ page: null, text: 'Hi there' }]);
  });
});

describe('checkZip', () => {
  it('accepts an ordinary DOCX', () => {
    expect(() => checkZip(docxOf(['Hello']), 1024 * 1024)).not.toThrow();
  });
});
