/**
 * Generated prose for the document benchmarks: seeded (every run loads the same text), English
 * words drawn with a Zipf-like skew so that some words are in most chunks and most words in few,
 * as in real documents, plus a long tail of names, codes and numbers that only a few chunks hold.
 */

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = (s: string) => s.trim().split(/\s+/);

export const NOUNS = words(`
  report system process team customer project service product market account policy budget
  schedule contract supplier equipment pump valve filter tank pipe sensor meter panel motor
  engine bearing seal gasket boiler furnace kiln compressor generator turbine cable switch
  network server database backup archive invoice payment refund balance ledger audit review
  inspection maintenance repair warranty manual procedure checklist standard regulation permit
  license certificate approval request complaint incident accident hazard risk safety training
  course lesson teacher student school campus library museum gallery theatre concert festival
  harvest orchard vineyard farm field barn tractor seed fertiliser irrigation drought frost
  river canal lock bridge tunnel road railway station platform harbour dock ship vessel cargo
  container warehouse depot truck driver route delivery shipment parcel order stock inventory
  price cost margin revenue profit loss forecast quarter year month week shift rota holiday
  leave salary bonus pension benefit expense receipt travel flight hotel meeting agenda minutes
  committee board director manager supervisor engineer technician operator inspector analyst
  volunteer member chair treasurer secretary council mayor district county region province
  village town city street square park garden forest valley mountain ridge trail path campsite
  shelter spring lake shore beach island coast weather storm flood wind rain snow temperature
  pressure flow level volume capacity weight length depth height speed voltage current power
  energy fuel oil gas water steam air dust noise light heat signal alarm display screen keyboard
  printer laptop phone software application update release version feature defect test build
  document file folder record entry page chapter section table figure chart map photo drawing
  recipe kitchen oven bread flour yeast dough butter cheese apple pear cherry plum grape berry
  bird nest egg feather owl hawk heron swallow deer fox badger otter trout salmon bee wasp
  timber stone brick mortar concrete steel iron copper glass paint roof wall floor window door
  stair corridor basement attic chimney fence gate yard lawn hedge pond fountain statue tower
`);

export const VERBS = words(`
  checks replaces inspects records reports measures adjusts cleans repairs installs removes
  approves reviews signs sends receives stores ships delivers orders buys sells pays charges
  refunds schedules cancels postpones extends reduces increases doubles halves opens closes
  starts stops restarts monitors tests calibrates drains fills flushes seals tightens loosens
  lubricates paints sands cuts welds builds designs plans drafts writes reads updates archives
  deletes restores copies prints scans files marks labels counts weighs sorts packs unpacks
  loads unloads moves carries lifts lowers raises guides leads follows trains teaches explains
  describes lists names shows covers protects warns allows forbids requires recommends suggests
`);

export const ADJECTIVES = words(`
  new old main spare backup primary secondary annual monthly weekly daily nightly early late
  large small heavy light long short wide narrow deep shallow high low hot cold warm cool wet dry
  clean dirty safe unsafe open closed full empty quiet loud fast slow steady sudden gradual
  northern southern eastern western upper lower inner outer central local regional national
  public private formal informal written verbal urgent routine minor major critical optional
  standard special temporary permanent seasonal electrical mechanical chemical digital manual
  automatic remote portable fixed damaged broken worn rusty cracked leaking faulty reliable
`);

export const ADVERBS = words(`
  carefully quickly slowly regularly rarely usually often always never promptly briefly fully
  partly mostly nearly roughly exactly safely correctly properly separately together again
`);

const SYLLABLES = words(`
  al bar cor dan el fen gar hol is jor kel lan mor nor os pel quin ros sel tor ul var wen
  yor zan bri cal dor est fal gri han ist kar lor mar nel ost per ric sto tha vin wil
`);

/** A Zipf-like pick: index 0 most often, the last rarely (rank^-1 by inverse transform). */
export function zipf<T>(list: readonly T[], r: () => number): T {
  const n = list.length;
  const i = Math.floor(Math.exp(r() * Math.log(n + 1))) - 1;
  return list[Math.min(n - 1, Math.max(0, i))]!;
}

const pick = <T>(list: readonly T[], r: () => number): T => list[Math.floor(r() * list.length)]!;

/** A made-up proper name ("Varnholt", "Kelmarost"): the long tail of words only a few chunks share. */
export function properName(r: () => number): string {
  const n = 2 + Math.floor(r() * 2);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(SYLLABLES, r);
  return s[0]!.toUpperCase() + s.slice(1);
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** The words a document's prose is made of; a topic's own nouns go first, so they come up most. */
export interface Vocabulary {
  nouns: readonly string[];
  verbs: readonly string[];
  adjectives: readonly string[];
}

export const GENERAL: Vocabulary = { nouns: NOUNS, verbs: VERBS, adjectives: ADJECTIVES };

/** A topic's vocabulary: its nouns first, then the general ones. */
export const topical = (nouns: string): Vocabulary => ({
  ...GENERAL,
  nouns: [...words(nouns), ...NOUNS.filter((n) => !words(nouns).includes(n))],
});

/** One sentence of ordinary report prose. `names` is the pool the document's people and places come from. */
export function sentence(r: () => number, names: readonly string[], vocab: Vocabulary = GENERAL): string {
  const n = () => zipf(vocab.nouns, r);
  const a = () => zipf(vocab.adjectives, r);
  const v = () => zipf(vocab.verbs, r);
  const name = () => pick(names, r);
  const num = () => String(Math.floor(r() * (r() < 0.5 ? 100 : 10_000)));
  const forms = [
    () =>
      `The ${a()} ${n()} ${v()} the ${n()} before the ${a()} ${n()} is ${pick(['due', 'ready', 'closed', 'open'], r)}.`,
    () =>
      `${name()} ${v()} the ${n()} every ${pick(['morning', 'week', 'month', 'quarter', 'season'], r)} and ${v()} the ${n()} ${zipf(ADVERBS, r)}.`,
    () =>
      `In ${pick(['the first', 'the second', 'the third', 'the last'], r)} ${pick(['week', 'month', 'quarter', 'year'], r)}, the ${n()} at ${name()} reached ${num()} ${pick(['units', 'hours', 'litres', 'tonnes', 'visits', 'orders'], r)}.`,
    () =>
      `A ${a()} ${n()} ${v()} the ${n()} when the ${n()} is ${a()}, so the ${n()} ${zipf(ADVERBS, r)} ${v()} it.`,
    () => `${cap(a())} ${n()}s and ${a()} ${n()}s are kept in the ${n()} near the ${n()} of ${name()}.`,
    () =>
      `According to the ${n()} from ${name()}, the ${n()} ${v()} ${num()} ${n()}s a ${pick(['day', 'week', 'year'], r)}.`,
    () =>
      `If the ${n()} ${v()} the ${a()} ${n()}, the ${n()} must be ${pick(['reported', 'checked', 'replaced', 'recorded'], r)} within ${1 + Math.floor(r() * 30)} days.`,
    () =>
      `The ${n()} of the ${a()} ${n()} was ${pick(['raised', 'lowered', 'moved', 'approved', 'delayed'], r)} by ${name()} after the ${n()} in ${pick(['spring', 'summer', 'autumn', 'winter'], r)}.`,
  ];
  return pick(forms, r)();
}

/** About `wordCount` words of prose in paragraphs of a few sentences. */
export function prose(
  r: () => number,
  wordCount: number,
  names: readonly string[],
  vocab: Vocabulary = GENERAL,
): string {
  const paragraphs: string[] = [];
  let count = 0;
  while (count < wordCount) {
    const sentences: string[] = [];
    const length = 3 + Math.floor(r() * 4);
    for (let i = 0; i < length && count < wordCount; i++) {
      const s = sentence(r, names, vocab);
      sentences.push(s);
      count += s.split(' ').length;
    }
    paragraphs.push(sentences.join(' '));
  }
  return paragraphs.join('\n\n');
}

/** A question of the kind people ask their documents, worded as they would. */
export function question(r: () => number, names: readonly string[]): string {
  const n = () => zipf(NOUNS, r);
  const forms = [
    () => `What does the ${n()} say about the ${zipf(ADJECTIVES, r)} ${n()}?`,
    () =>
      `How often is the ${n()} at ${pick(names, r)} ${pick(['checked', 'replaced', 'inspected', 'cleaned'], r)}?`,
    () => `Who ${zipf(VERBS, r)} the ${n()} and the ${n()} in ${pick(names, r)}?`,
    () => `When was the ${n()} of the ${n()} ${pick(['raised', 'moved', 'approved', 'delayed'], r)}?`,
    () =>
      `How many ${n()}s did ${pick(names, r)} ${pick(['order', 'record', 'ship', 'count'], r)} last ${pick(['month', 'year', 'quarter'], r)}?`,
    () => `Which ${n()} needs a ${zipf(ADJECTIVES, r)} ${n()} before the ${n()}?`,
  ];
  return pick(forms, r)();
}

/** The pool of names one corpus draws from (shared by its documents, as a company's are). */
export const namePool = (r: () => number, n: number) => Array.from({ length: n }, () => properName(r));
