import { PDFDocument, StandardFonts } from 'pdf-lib';

/**
 * A text PDF with one page per entry, as a word processor would lay it out: 10-point Helvetica,
 * lines wrapped at about 90 characters, a blank line between paragraphs. (test/helpers/pdf.ts
 * does the same for the tests, but test/ is not compiled into dist, where the bench runs.)
 */
export async function pdfOf(pages: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of pages) {
    const page = doc.addPage([595, 842]);
    const lines: string[] = [];
    for (const paragraph of text.split(/\n\s*\n/)) {
      if (lines.length > 0) lines.push('');
      let line = '';
      for (const w of paragraph.split(/\s+/).filter(Boolean)) {
        if (line && `${line} ${w}`.length > 90) {
          lines.push(line);
          line = w;
        } else line = line ? `${line} ${w}` : w;
      }
      if (line) lines.push(line);
    }
    if (lines.length > 56) throw new Error(`a page of ${lines.length} lines does not fit on A4 at 10 pt`);
    lines.forEach((l, i) => {
      // Helvetica's WinAnsi encoding has no glyph for some characters; none of ours are outside it.
      if (l) page.drawText(l, { x: 40, y: 800 - i * 13.5, size: 10, font });
    });
  }
  return doc.save();
}
