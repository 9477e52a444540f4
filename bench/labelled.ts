/**
 * A small labelled set for retrieval quality: five documents of 12–28 pages on unrelated topics,
 * each page opening with facts of its own, and thirty questions whose answer is one sentence on
 * one known page. The questions are worded as a person would ask, not copied from the page:
 *
 * some share a rare word with the answer (a name, a term of the trade), some only words that many
 * pages hold, some no word at all but function words (only meaning connects them): which is which
 * is counted from the texts (`questionKind`), not declared.
 *
 * The rest of each page is generated prose on the document's topic (bench/prose.ts), seeded.
 */
import { namePool, prose, rng, topical, type Vocabulary } from './prose';

export type QuestionKind = 'rare' | 'common' | 'none';

export interface LabelledQuestion {
  question: string;
  /** The sentence on the page that answers it. */
  answer: string;
  /** The page's heading, which a search can match as well. */
  title: string;
}

interface DocumentSpec {
  name: string;
  pages: number;
  topic: string;
  /** Nouns of the topic, most frequent first. */
  nouns: string;
  /** What the generated facts of the other pages are about. */
  things: string[];
  places: string[];
  /** The pages with a question: title, the answering sentence, the question. */
  facts: Record<number, { title: string; answer: string; question: string }>;
}

const SPECS: DocumentSpec[] = [
  {
    name: 'Harbour Point Water Treatment Plant - Operations Manual.pdf',
    pages: 24,
    topic: 'water treatment',
    nouns:
      'water pump filter tank valve pipe sensor chlorine basin clarifier intake screen meter alarm operator shift sample laboratory dose turbidity reservoir',
    things: [
      'clear water tank',
      'raw water pump',
      'turbidity meter',
      'flow meter',
      'lime silo',
      'pH probe',
      'inlet valve',
      'sample tap',
    ],
    places: ['the filter gallery', 'the chemical store', 'the pump house', 'the control room', 'the lagoon'],
    facts: {
      3: {
        title: 'Intake screens',
        answer:
          'The two raw-water intake screens at Gullet Rock are raked clear by hand every Tuesday at dawn; a screen left clogged for more than six hours trips the low-level alarm in the control room.',
        question: 'How often are the intake screens at Gullet Rock cleaned?',
      },
      7: {
        title: 'Disinfection',
        answer:
          'Chlorine is dosed at 1.8 milligrams per litre in summer and 1.2 milligrams per litre from November to March, measured after the contact tank.',
        question: 'What disinfectant concentration do we use in the colder part of the year?',
      },
      11: {
        title: 'Filter backwash',
        answer:
          'Backwashing of the sand filters starts automatically when head loss across a bed exceeds 2.4 metres, and each backwash uses about 90 cubic metres of treated water.',
        question: 'At what pressure drop do the sand beds get cleaned?',
      },
      15: {
        title: 'Standby power',
        answer:
          'The standby diesel generator, a 750 kVA Caterpillar set, is run on load for forty minutes on the first Monday of each month.',
        question: 'When is the backup generator tested?',
      },
      19: {
        title: 'Sludge handling',
        answer:
          'Sludge from the clarifiers is thickened to about 4 percent solids and collected by Marwick Haulage twice a week for spreading on farmland near Eastleigh.',
        question: 'Which haulier takes the sludge away?',
      },
      22: {
        title: 'Chemical spills',
        answer:
          'Any spill of more than 20 litres of sodium hypochlorite must be reported to the environment agency within one hour, using the incident line 0800 555 0199.',
        question: 'Who do I have to phone after a big bleach leak, and how fast?',
      },
    },
  },
  {
    name: 'Larkspur Valley Orchard Cooperative - Annual Report 2023.pdf',
    pages: 18,
    topic: 'an orchard cooperative',
    nouns:
      'orchard apple tree grower harvest fruit blossom crop tonne member board season variety store market juice price grant frost pruning',
    things: [
      'packing line',
      'grading machine',
      'spray programme',
      'juice press',
      'nursery block',
      'pallet fleet',
    ],
    places: ['the packhouse', 'the lower terraces', 'Thornby yard', 'the nursery', 'the farm shop'],
    facts: {
      2: {
        title: 'Membership',
        answer:
          'Membership rose from 41 to 47 growers in 2023; the six newcomers all farm on the western terraces above Thornby.',
        question: 'How many growers joined the cooperative last year?',
      },
      5: {
        title: 'The season',
        answer:
          'A late frost on the night of 19 April cut the Bramley crop by roughly a third, while the Egremont Russet blocks on higher ground were barely touched.',
        question: 'Which kind of apple lost much of its yield to a cold snap in spring?',
      },
      8: {
        title: 'Cold store',
        answer:
          "The cooperative's new cold store at Pennock Lane holds 1,200 tonnes in controlled atmosphere and cost £2.3 million, half of it covered by a rural development grant.",
        question: 'How much did the Pennock Lane cold store cost to build?',
      },
      12: {
        title: 'Cider fruit',
        answer:
          'Cider sales to the Old Tollhouse brewery brought in £184,000, up 22 percent, and now take most of the fruit that is too small for the shops.',
        question: 'What becomes of undersized apples?',
      },
      14: {
        title: 'Pollination',
        answer:
          'Honeybee hives are rented from Aldous Apiaries for the three weeks of blossom, at £45 a hive; 160 hives were placed in 2023.',
        question: 'How many beehives were brought in for pollination?',
      },
      17: {
        title: 'Dividend',
        answer:
          "The board proposes a dividend of 3.1 pence per kilogram of fruit delivered, payable in December after the members' meeting at Thornby village hall.",
        question: 'When will members be paid the dividend?',
      },
    },
  },
  {
    name: 'Meridian Software - Employee Handbook.pdf',
    pages: 15,
    topic: 'an employee handbook',
    nouns:
      'employee manager team leave holiday expense salary policy office contract laptop account password meeting review training benefit payroll manager',
    things: [
      'pension scheme',
      'cycle scheme',
      'training budget',
      'desk booking',
      'eye test',
      'referral bonus',
    ],
    places: [
      'the London office',
      'the Leeds office',
      'the staff portal',
      'the people team',
      'the finance team',
    ],
    facts: {
      2: {
        title: 'Your first day',
        answer:
          'New starters receive their laptop on the first morning from the IT desk on the third floor and must enrol it in the device manager before lunch.',
        question: 'Where do new hires pick up their computer?',
      },
      4: {
        title: 'Annual leave',
        answer:
          'Full-time staff have 27 days of annual leave plus public holidays; up to five unused days may be carried into the next year, but must be taken by the end of March.',
        question: "Can I carry over holiday I didn't use?",
      },
      6: {
        title: 'Travel and expenses',
        answer:
          'Taxi fares are reimbursed only after 10 pm or when carrying equipment heavier than 15 kg; otherwise use public transport and claim the standard fare.',
        question: 'When will the company pay for a cab?',
      },
      9: {
        title: 'On-call',
        answer:
          'Engineers on the on-call rota are paid a flat £250 per week of standby and time and a half for every hour spent on an incident outside office hours.',
        question: 'How much is the on-call allowance each week?',
      },
      11: {
        title: 'Security',
        answer:
          'Passwords must be at least 14 characters long and are never to be reused; the company pays for a family plan of the Keeper password manager for every employee.',
        question: 'Which password manager does the company provide?',
      },
      14: {
        title: 'Family leave',
        answer:
          "Parents receive 20 weeks of fully paid parental leave, which can be taken in up to three blocks before the child's second birthday.",
        question: 'How long is paid leave for a new mother or father?',
      },
    },
  },
  {
    name: 'A Short History of the Calloway Canal.pdf',
    pages: 12,
    topic: 'the history of a canal',
    nouns:
      'canal lock boat barge towpath wharf basin bridge tunnel reservoir company toll cargo mile engineer navigation aqueduct cottage horse',
    things: ['lock keeper', 'toll house', 'pumping engine', 'warehouse', 'boatyard', 'aqueduct'],
    places: ['Millbrook', 'Sedge Green', 'the summit pound', 'Coldwater basin', 'Ashdown wharf'],
    facts: {
      2: {
        title: 'The cutting',
        answer:
          'Digging began in 1823 under the engineer Josiah Penrose, who had learned his trade on the Grand Junction; the first eleven miles were cut by 600 navvies in two years.',
        question: 'Who was the engineer in charge when construction of the canal started?',
      },
      4: {
        title: 'Hallam Bank',
        answer:
          'The flight of nine locks at Hallam Bank lifts boats 72 feet in under a mile and took a loaded narrowboat about two hours to climb.',
        question: 'How much height do boats gain going up Hallam Bank?',
      },
      6: {
        title: 'The trade',
        answer:
          'Coal from the Ashdown pits made up four fifths of the tonnage carried in 1850, most of it bound for the glassworks at Coldwater.',
        question: 'What goods formed the bulk of the traffic around the middle of the nineteenth century?',
      },
      8: {
        title: 'Decline',
        answer:
          'After the railway reached Coldwater in 1868, tolls were cut by half to keep traffic, but receipts still fell by sixty percent within a decade.',
        question: 'How did the arrival of trains affect its income?',
      },
      10: {
        title: 'Abandonment and the Trust',
        answer:
          'The canal was formally abandoned in 1951, and the Calloway Canal Trust was founded in 1974 by a group of volunteers who cleared the first lock with hand tools.',
        question: 'In what year was the restoration trust set up?',
      },
      12: {
        title: 'Reopening',
        answer:
          'The restored Hallam Bank flight reopened to boats on 14 June 2019 after a £4.6 million appeal, the largest donation coming from the Sutherland Foundation.',
        question: 'Who gave the biggest gift to the appeal that paid for reopening the locks?',
      },
    },
  },
  {
    name: 'Northwind Trail Field Guide.pdf',
    pages: 28,
    topic: 'a long-distance walking trail',
    nouns:
      'trail path walker ridge glen river bridge hut campsite water spring weather map route section summit deer ranger permit boots',
    things: ['waymark post', 'stile', 'stepping stones', 'viewpoint cairn', 'emergency phone', 'footbridge'],
    places: ['Brackenford', 'Glen Aird', 'the Black Moss', 'Loch Tarff', 'the Falls of Conn'],
    facts: {
      3: {
        title: 'Permits',
        answer:
          'Permits for overnight stays are issued free at the ranger station in Brackenford and are limited to 40 walkers a night between May and September.',
        question: 'Where do I get a permit to camp overnight?',
      },
      7: {
        title: 'Corrie Dubh',
        answer:
          'The spring below Corrie Dubh is the last reliable water for 14 kilometres; in a dry August it can fail, so carry at least three litres from here.',
        question: 'Where can I last count on filling my bottles before a long waterless stretch?',
      },
      12: {
        title: 'Wildlife',
        answer:
          'Red deer rut in the glen from late September; stags are dangerous at this time, so keep at least 100 metres away and never walk between a stag and its hinds.',
        question: 'How far should hikers stay from male deer in autumn?',
      },
      16: {
        title: 'Allt Garbh crossing',
        answer:
          'The suspension footbridge over the Allt Garbh was washed away in the 2022 floods; walkers must now ford the river at the gravel bar 300 metres upstream, impassable after heavy rain.',
        question: 'How do you get across the Allt Garbh now the bridge is gone?',
      },
      21: {
        title: 'Mountain huts',
        answer:
          'Mountain huts at Lochan Ruadh and Sgurr Mor sleep twelve each, cannot be booked, and are kept by the Northwind Bothy Society.',
        question: 'Can you reserve a place in the mountain shelters?',
      },
      26: {
        title: 'The high pass',
        answer:
          'The final section climbs 900 metres over the Bealach na Gaoithe, the highest point of the trail at 1,040 metres, where winds above 60 km/h are common in any month.',
        question: 'What is the highest point on the route, and how high is it?',
      },
    },
  },
];

export interface LabelledDocument {
  name: string;
  /** Page texts, page 1 first. */
  pages: string[];
  /** Questions by the 1-based page that answers them. */
  questions: Map<number, LabelledQuestion>;
}

const MONTHS = ['January', 'March', 'May', 'July', 'September', 'November'];

/** A page's own facts where no question points: names, numbers and dates no other page has. */
function pageFacts(spec: DocumentSpec, page: number, r: () => number, names: readonly string[]): string {
  const pick = <T>(l: readonly T[]) => l[Math.floor(r() * l.length)]!;
  const thing = pick(spec.things);
  const place = pick(spec.places);
  const who = pick(names);
  const n = 2 + Math.floor(r() * 400);
  const forms = [
    `The ${thing} at ${place} was last overhauled in ${pick(MONTHS)} by ${who}, who logged ${n} hours on it.`,
    `${who} keeps the key to the ${thing} at ${place}; a spare is held at ${pick(spec.places)}.`,
    `Page ${page} lists ${n} entries for the ${thing} at ${place}, of which ${Math.floor(n / 3)} were signed off by ${who}.`,
    `The ${thing} serving ${place} is reference ${who.slice(0, 3).toUpperCase()}-${1000 + Math.floor(r() * 9000)} and is due for renewal in ${2025 + Math.floor(r() * 6)}.`,
  ];
  return `${pick(forms)} ${pick(forms)}`;
}

/** The five documents, the same on every run. */
export function labelledDocuments(): LabelledDocument[] {
  return SPECS.map((spec, d) => {
    const r = rng(1000 + d);
    const names = namePool(r, 30);
    const vocab: Vocabulary = topical(spec.nouns);
    const questions = new Map<number, LabelledQuestion>();
    const pages = Array.from({ length: spec.pages }, (_, i) => {
      const page = i + 1;
      const fact = spec.facts[page];
      if (fact) questions.set(page, { question: fact.question, answer: fact.answer, title: fact.title });
      const title = fact?.title ?? `Notes on the ${spec.things[i % spec.things.length]}`;
      const opening = fact ? fact.answer : pageFacts(spec, page, r, names);
      return `${page}. ${title}\n\n${opening}\n\n${prose(r, 230 + Math.floor(r() * 120), names, vocab)}`;
    });
    return { name: spec.name, pages, questions };
  });
}

const FUNCTION_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from get go had has have he her his how i if in ' +
    'into is it its me my no not of on or our she so than that the their them then there these they this to ' +
    'was we were what when where which who why will with would you your up down over after before much many ' +
    'each every any all some more most very just now last first off out about'
  ).split(' '),
);

/** The words keyword search sees in a text (PostgreSQL's 'simple' parser: lowercase, no stemming). */
export const contentWords = (text: string) =>
  new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !FUNCTION_WORDS.has(w)));

/**
 * How a question relates to its answer (the answering sentence and the page's heading), from the
 * words they share: `none` shares no word but function words; `rare` shares a word that at most
 * `rarePages` pages of the whole set hold; `common` shares only words that more pages hold.
 */
export function questionKind(
  q: LabelledQuestion,
  pageFrequency: (word: string) => number,
  rarePages = 3,
): QuestionKind {
  const answer = contentWords(`${q.title} ${q.answer}`);
  const shared = [...contentWords(q.question)].filter((w) => answer.has(w));
  if (shared.length === 0) return 'none';
  return shared.some((w) => pageFrequency(w) <= rarePages) ? 'rare' : 'common';
}

/** How many pages of the documents hold each word. */
export function pageFrequencies(docs: LabelledDocument[]): (word: string) => number {
  const df = new Map<string, number>();
  for (const d of docs)
    for (const p of d.pages) for (const w of contentWords(p)) df.set(w, (df.get(w) ?? 0) + 1);
  return (w) => df.get(w) ?? 0;
}
