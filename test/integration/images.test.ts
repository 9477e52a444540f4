import { BlobServiceClient } from '@azure/storage-blob';
import sharp from 'sharp';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Image } from '../../shared/contracts/images';
import { ApiClient, deltas } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

/**
 * Images through the real handlers: upload (typed from the bytes, limits, re-encoded without
 * metadata), the owner's GET, and messages that carry them upstream as `image_url` parts.
 */
let stack: Stack;
let alice: ApiClient;
let aliceId: string;
const VISION = 'openai/gpt-4o-mini';
const TEXT_ONLY = 'openai/gpt-3.5-turbo';
const MAX_BYTES = 300_000;

beforeAll(async () => {
  stack = await startStack({
    env: {
      SIGNUP_BONUS_CREDITS: '100000000',
      IMAGE_MAX_BYTES: String(MAX_BYTES),
      IMAGE_MAX_PIXELS: '4000000',
      // Extraction runs after each reply and would be the last request upstream.
      MEMORY_ENABLED: 'false',
    },
  });
  alice = new ApiClient(stack.url);
  aliceId = (await alice.register()).user.id;
});
afterAll(() => stack.close());
beforeEach(async () => {
  // Title jobs follow replies; they must not land in the next test's requests.
  await stack.host.queues.waitIdle(10_000);
  stack.upstream.reset();
});

type Uploaded = { status: number; body: { image: Image; error?: { code: string; message: string } } };

async function upload(
  c: ApiClient,
  bytes: Uint8Array,
  name = 'photo',
  type = 'image/png',
): Promise<Uploaded> {
  const form = new FormData();
  form.set('file', new File([new Uint8Array(bytes)], name, { type }));
  const res = await fetch(`${stack.url}/api/images`, {
    method: 'POST',
    headers: { cookie: c.cookie!, 'x-csrf-token': c.csrf! },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Uploaded['body'] };
}

async function fetchImage(c: ApiClient, id: string) {
  const res = await fetch(`${stack.url}/api/images/${id}`, { headers: c.cookie ? { cookie: c.cookie } : {} });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const solid = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: { r: 200, g: 40, b: 90, alpha: 1 } } });

/** A PNG whose header declares `width` × `height` but whose data is a few KB: a decompression bomb. */
function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey), no interlace
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc((width + 1) * 64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The chat requests sent upstream (not structured-output ones). */
const replies = () =>
  stack.upstream.requests.filter(
    (r) => r.path.endsWith('/chat/completions') && r.body.response_format === undefined,
  );

type Part = { type: string; text?: string; image_url?: { url: string } };
type SentMessage = { role: string; content: string | Part[] };
type SentRequest = { model: string; messages: SentMessage[] };
const textOf = (m: SentMessage | undefined) =>
  typeof m?.content === 'string' ? m.content : (m?.content ?? []).map((p) => p.text ?? '').join('');
/** The reply request whose new message is `question` (title jobs of earlier replies may come later). */
const requestFor = (question: string) => {
  const found = replies()
    .map((r) => r.body as SentRequest)
    .findLast((b) => textOf(b.messages.at(-1)) === question);
  if (!found) throw new Error(`no upstream request for ${question}`);
  return found;
};
const imageUrls = (m: SentMessage | undefined) =>
  typeof m?.content === 'string'
    ? []
    : (m?.content ?? []).flatMap((p) => (p.image_url ? [p.image_url.url] : []));

async function balance(c: ApiClient) {
  const me = (await c.get('/api/auth/session')).body as { user: { id: string } };
  return stack.db.one<{ credits: string; held: string }>(`SELECT credits, held FROM users WHERE id = $1`, [
    me.user.id,
  ]);
}

const blobs = () =>
  BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('images');
async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of blobs().listBlobsFlat({ prefix })) names.push(b.name);
  return names;
}

describe('uploading images', () => {
  it('takes PNG, JPEG, WebP and GIF, typed from their bytes, with their dimensions', async () => {
    const cases = [
      { bytes: await solid(64, 48).png().toBuffer(), stored: 'image/png', format: 'png' },
      { bytes: await solid(64, 48).jpeg().toBuffer(), stored: 'image/jpeg', format: 'jpeg' },
      { bytes: await solid(64, 48, 4).webp().toBuffer(), stored: 'image/webp', format: 'webp' },
      // Stored as a still PNG: not every provider reads GIF.
      { bytes: await solid(64, 48, 4).gif().toBuffer(), stored: 'image/png', format: 'png' },
    ];
    for (const c of cases) {
      // The name and the declared type say nothing true: the bytes decide.
      const res = await upload(alice, c.bytes, 'upload.bin', 'application/octet-stream');
      expect(res.status).toBe(201);
      expect(res.body.image).toMatchObject({ contentType: c.stored, width: 64, height: 48 });

      const got = await fetchImage(alice, res.body.image.id);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe(c.stored);
      expect(got.headers.get('cache-control')).toMatch(/^private/);
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(got.bytes.byteLength).toBe(res.body.image.size);
      const meta = await sharp(got.bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([c.format, 64, 48]);
    }
  });

  it('removes EXIF and GPS, turns the picture upright, and keeps it in images/{userId}/', async () => {
    const photo = await solid(640, 480)
      .jpeg()
      .withExif({
        IFD0: { Make: 'AcmeCam', Model: 'Spy 3000' },
        IFD3: {
          GPSLatitudeRef: 'N',
          GPSLatitude: '51/1 30/1 0/1',
          GPSLongitudeRef: 'W',
          GPSLongitude: '0/1 7/1 0/1',
        },
      })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    // The fixture really carries what must go: a camera name, a GPS block (tag 0x8825), a rotation.
    const before = await sharp(photo).metadata();
    expect(before.orientation).toBe(6);
    expect(before.exif?.includes(Buffer.from([0x25, 0x88]))).toBe(true);
    expect(photo.includes('AcmeCam')).toBe(true);

    const res = await upload(alice, photo, 'holiday.jpg', 'image/jpeg');
    expect(res.status).toBe(201);
    // Orientation 6 is a quarter turn: the stored picture is portrait.
    expect(res.body.image).toMatchObject({ contentType: 'image/jpeg', width: 480, height: 640 });

    const stored = (await fetchImage(alice, res.body.image.id)).bytes;
    const after = await sharp(stored).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect(stored.includes('AcmeCam')).toBe(false);
    expect(stored.includes('Spy 3000')).toBe(false);

    expect(await blobNames(`${aliceId}/`)).toContain(`${aliceId}/${res.body.image.id}`);
  });

  it('scales the longest side down to 2048 px', async () => {
    const res = await upload(alice, await solid(3000, 1000).png().toBuffer());
    expect(res.status).toBe(201);
    expect(res.body.image).toMatchObject({ width: 2048, height: 683 });
  });

  it('refuses a text file or a program named like an image: 415', async () => {
    const text = await upload(alice, new TextEncoder().encode('just some words, not a picture'), 'cat.png');
    expect(text.status).toBe(415);
    expect(text.body.error?.code).toBe('unsupported_type');
    expect(text.body.error?.message).toMatch(/PNG, JPEG, WebP and GIF/);

    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(256, 1)]);
    expect((await upload(alice, elf, 'cat.jpg', 'image/jpeg')).status).toBe(415);
  });

  it('refuses an image over IMAGE_MAX_BYTES: 413, nothing stored', async () => {
    const blobsBefore = await blobNames(`${aliceId}/`);
    // Just over the limit (inside the form's framing allowance): the service's own refusal.
    const justOver = Buffer.concat([await solid(8, 8).png().toBuffer(), Buffer.alloc(MAX_BYTES)]);
    const res = await upload(alice, justOver);
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('too_large');
    // Far over: refused while reading the body.
    expect((await upload(alice, Buffer.alloc(MAX_BYTES * 4, 7))).status).toBe(413);
    expect(await blobNames(`${aliceId}/`)).toEqual(blobsBefore);
  });

  it('refuses a decompression bomb from its header, without decoding it: 400', async () => {
    const bomb = pngDeclaring(20000, 20000);
    expect(bomb.byteLength).toBeLessThan(MAX_BYTES);
    const res = await upload(alice, bomb, 'tiny.png');
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('invalid_request');
    expect(res.body.error?.message).toContain('20000 × 20000');
  });

  it('refuses an ordinary image above IMAGE_MAX_PIXELS, and a damaged one: 400', async () => {
    // 2100 × 2000 = 4.2 megapixels; this stack takes 4.
    const big = await upload(alice, await solid(2100, 2000).png().toBuffer());
    expect(big.status).toBe(400);
    expect(big.body.error?.message).toMatch(/megapixels/);

    const whole = await solid(300, 200).png().toBuffer();
    const damaged = await upload(alice, whole.subarray(0, 80));
    expect(damaged.status).toBe(400);
    expect(damaged.body.error?.message).toMatch(/could not be read/);
  });

  it("shows an image to its owner only: another user's GET is 404, a signed-out one 401", async () => {
    const res = await upload(alice, await solid(10, 10).png().toBuffer());
    const bob = new ApiClient(stack.url);
    await bob.register();
    expect((await fetchImage(bob, res.body.image.id)).status).toBe(404);
    expect((await fetchImage(new ApiClient(stack.url), res.body.image.id)).status).toBe(401);
    expect((await fetchImage(alice, 'no-such-image')).status).toBe(404);
  });
});

describe('messages with images', () => {
  let photo: Image;
  let photoBytes: Buffer;

  beforeAll(async () => {
    photo = (await upload(alice, await solid(640, 480).png().toBuffer())).body.image;
    photoBytes = (await fetchImage(alice, photo.id)).bytes;
  });

  it('sends the images upstream as image_url data-URL parts and keeps them with the message', async () => {
    const id = await alice.newConversation();
    const res = await alice.stream(id, {
      content: 'What is in this picture?',
      model: VISION,
      imageIds: [photo.id],
    });
    expect(res.status).toBe(200);
    expect(deltas(res.events)).toContain('I received one image (image/png)');

    const sent = requestFor('What is in this picture?').messages.at(-1)!;
    expect(sent.role).toBe('user');
    expect(sent.content).toEqual([
      { type: 'text', text: 'What is in this picture?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${photoBytes.toString('base64')}` } },
    ]);

    const { messages } = (await alice.get(`/api/conversations/${id}`)).body as {
      messages: { role: string; imageIds: string[] }[];
    };
    expect(messages.map((m) => [m.role, m.imageIds])).toEqual([
      ['user', [photo.id]],
      ['assistant', []],
    ]);
  });

  it('counts the image in the prompt tokens that the hold is taken for', async () => {
    const text = 'Describe it in one word.';
    const withImage = await alice.stream(await alice.newConversation(), {
      content: text,
      model: VISION,
      imageIds: [photo.id],
    });
    const without = await alice.stream(await alice.newConversation(), { content: text, model: VISION });
    const promptTokens = async (events: typeof withImage.events) => {
      const start = events[0]!.data as { messageId: string };
      const g = await stack.db.one<{ prompt_tokens: number }>(
        `SELECT prompt_tokens FROM generations WHERE message_id = $1`,
        [start.messageId],
      );
      return g.prompt_tokens;
    };
    // 640 × 480 by OpenAI's tiles: 2 × 1 tiles of 512 px → 85 + 2 × 170 = 425; Anthropic's
    // 640 × 480 / 750 = 410 and Gemini's 258 are less, so the hold counts 425.
    expect((await promptTokens(withImage.events)) - (await promptTokens(without.events))).toBe(425);
  });

  it('re-sends the images of earlier turns, and regenerating keeps the question’s images', async () => {
    const id = await alice.newConversation();
    const first = await alice.stream(id, { content: 'Here is my cat.', model: VISION, imageIds: [photo.id] });
    expect(first.status).toBe(200);
    stack.upstream.reset();
    const second = await alice.stream(id, { content: 'What colour is its fur?', model: VISION });
    expect(second.status).toBe(200);
    const turns = requestFor('What colour is its fur?').messages;
    const firstTurn = turns.find(
      (m) => m.role === 'user' && JSON.stringify(m.content).includes('Here is my cat.'),
    );
    expect(imageUrls(firstTurn)).toEqual([`data:image/png;base64,${photoBytes.toString('base64')}`]);
    expect(turns.at(-1)).toEqual({ role: 'user', content: 'What colour is its fur?' });

    // Regenerating the first reply answers the first question again, with its image.
    stack.upstream.reset();
    const firstReply = (first.events[0]!.data as { messageId: string }).messageId;
    const again = await alice.regenerate(id, firstReply);
    expect(again.status).toBe(200);
    const question = requestFor('Here is my cat.').messages.at(-1)!;
    expect(imageUrls(question)).toEqual([`data:image/png;base64,${photoBytes.toString('base64')}`]);
  });

  it('a model that reads no images: 400 naming it, nothing stored, no hold, nothing sent upstream', async () => {
    const id = await alice.newConversation();
    const before = await balance(alice);
    const res = await alice.stream(id, { content: 'Look at this', model: TEXT_ONLY, imageIds: [photo.id] });
    expect(res.status).toBe(400);
    expect(res.error.error.code).toBe('invalid_request');
    expect(res.error.error.message).toContain(TEXT_ONLY);
    expect((await alice.get(`/api/conversations/${id}`)).body.messages).toEqual([]);
    expect(await balance(alice)).toEqual(before);
    expect(await stack.db.many(`SELECT 1 FROM holds WHERE user_id = $1`, [aliceId])).toEqual([]);
    expect(() => requestFor('Look at this')).toThrow();
  });

  it('switching a conversation with images to a text model goes on as text', async () => {
    const id = await alice.newConversation();
    await alice.stream(id, { content: 'A photo of my garden.', model: VISION, imageIds: [photo.id] });
    stack.upstream.reset();
    const res = await alice.stream(id, { content: 'Suggest a plant for it.', model: TEXT_ONLY });
    expect(res.status).toBe(200);
    expect(res.events.at(-1)!.event).toBe('done');
    const sent = requestFor('Suggest a plant for it.');
    expect(sent.model).toBe(TEXT_ONLY);
    expect(sent.messages.flatMap(imageUrls)).toEqual([]);
    expect(sent.messages.some((m) => m.content === 'A photo of my garden.')).toBe(true);
  });

  it("another user's image id is 404 and nothing is stored; more than 4 images is 400", async () => {
    const bob = new ApiClient(stack.url);
    await bob.register();
    const id = await bob.newConversation();
    const res = await bob.stream(id, { content: 'Whose is this?', model: VISION, imageIds: [photo.id] });
    expect(res.status).toBe(404);
    expect((await bob.get(`/api/conversations/${id}`)).body.messages).toEqual([]);
    expect(() => requestFor('Whose is this?')).toThrow();

    const five = await alice.stream(await alice.newConversation(), {
      content: 'Too many',
      model: VISION,
      imageIds: Array.from({ length: 5 }, () => photo.id),
    });
    expect(five.status).toBe(400);
    expect(five.error.error.message).toMatch(/at most 4 images/);
  });
});

describe('deleting', () => {
  it("a conversation's deletion removes its images, rows and blobs, but not one another conversation carries", async () => {
    const own = (await upload(alice, await solid(20, 20).png().toBuffer())).body.image;
    const shared = (await upload(alice, await solid(30, 20).png().toBuffer())).body.image;
    const a = await alice.newConversation();
    const b = await alice.newConversation();
    await alice.stream(a, { content: 'two pictures', model: VISION, imageIds: [own.id, shared.id] });
    await alice.stream(b, { content: 'the same one again', model: VISION, imageIds: [shared.id] });

    expect((await alice.request('DELETE', `/api/conversations/${a}`)).status).toBe(204);
    expect((await fetchImage(alice, own.id)).status).toBe(404);
    expect(await blobNames(`${aliceId}/${own.id}`)).toEqual([]);
    expect((await fetchImage(alice, shared.id)).status).toBe(200);

    expect((await alice.request('DELETE', `/api/conversations/${b}`)).status).toBe(204);
    expect((await fetchImage(alice, shared.id)).status).toBe(404);
    expect(await blobNames(`${aliceId}/${shared.id}`)).toEqual([]);
  });

  it("deleting the account deletes the user's images", async () => {
    const carol = new ApiClient(stack.url);
    const carolId = (await carol.register(undefined, 'correct horse')).user.id;
    await upload(carol, await solid(12, 12).png().toBuffer());
    const sent = (await upload(carol, await solid(14, 12).png().toBuffer())).body.image;
    await carol.stream(await carol.newConversation(), { content: 'hi', model: VISION, imageIds: [sent.id] });
    expect(await blobNames(`${carolId}/`)).toHaveLength(2);

    const res = await carol.request('DELETE', '/api/account', { password: 'correct horse' });
    expect(res.status).toBe(204);
    expect(await blobNames(`${carolId}/`)).toEqual([]);
    expect(await stack.db.many(`SELECT id FROM images WHERE user_id = $1`, [carolId])).toEqual([]);
  });
});
