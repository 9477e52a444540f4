import { PDFDocument, StandardFonts } from 'pdf-lib';

/** A PDF with one page per entry, each page's text drawn line by line (pdf-lib does not wrap). */
export async function pdfOf(pages: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of pages) {
    const page = doc.addPage([595, 842]);
    const words = text.split(/\s+/);
    const lines: string[] = [];
    let line = '';
    for (const w of words) {
      if ((line + ' ' + w).length > 90) {
        lines.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    if (line) lines.push(line);
    lines.slice(0, 55).forEach((l, i) => page.drawText(l, { x: 40, y: 800 - i * 14, size: 10, font }));
  }
  return doc.save();
}

const TOPICS = [
  'the history of bread baking in northern villages',
  'how tides follow the moon and the sun',
  'a field guide to common garden birds',
  'the care of cast iron pans',
  'why bridges are built with expansion joints',
  'the rules of a small chess club',
];

/** Filler that reads like prose and shares few rare words with anything asked. */
export const fillerPage = (n: number) => {
  const topic = TOPICS[n % TOPICS.length]!;
  return Array.from(
    { length: 8 },
    (_, i) =>
      `Page ${n} discusses ${topic}. Paragraph ${i + 1} adds ordinary detail about ${topic}, with examples.`,
  ).join(' ');
};
