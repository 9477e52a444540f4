import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../shared/contracts/chat-stream';
import type { Document } from '../../shared/contracts/documents';
import { ApiClient } from '../helpers/client';
import { fillerPage, pdfOf } from '../helpers/pdf';
import { startStack, type Stack } from '../helpers/stack';

/**
 * Documents end to end through the local host: the blob trigger, the ingestDocument
 * orchestration on the real replay engine, pgvector in PGlite, retrieval and citations.
 */
let stack: Stack;
let alice: ApiClient;
let aliceId: string;
const MODEL = 'openai/gpt-4o-mini';
const FACT = 'The Zorbleflux reactor in Quillhaven runs at exactly 451 kelvin during the night shift.';
const QUESTION = 'At what temperature does the Zorbleflux reactor in Quillhaven run?';

beforeAll(async () => {
  stack = await startStack({
    env: { SIGNUP_BONUS_CREDITS: '100000000', DOCUMENT_MAX_BYTES: String(2 * 1024 * 1024) },
  });
  alice = new ApiClient(stack.url);
  aliceId = (await alice.register()).user.id;
});
afterAll(() => stack.close());

async function upload(c: ApiClient, name: string, bytes: Uint8Array, type = 'application/octet-stream') {
  const form = new FormData();
  form.set('file', new File([new Uint8Array(bytes)], name, { type }));
  const res = await fetch(`${stack.url}/api/documents`, {
    method: 'POST',
    headers: { cookie: c.cookie!, 'x-csrf-token': c.csrf! },
    body: form,
  });
  return {
    status: res.status,
    body: (await res.json()) as { document: Document; error?: { code: string; message: string } },
  };
}

async function settled(c: ApiClient, id: string, seen: number[] = []): Promise<Document> {
  const until = Date.now() + 90_000;
  for (;;) {
    const { document } = (await c.get(`/api/documents/${id}`)).body as { document: Document };
    seen.push(document.progress);
    if (document.status !== 'processing') return document;
    if (Date.now() > until) throw new Error(`document ${id} still processing at ${document.progress}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function promptSent(): string {
  // Replies only: memory extraction (structured output) runs after each reply and may come last.
  const chats = stack.upstream.requests.filter(
    (r) => r.path.endsWith('/chat/completions') && r.body.response_format === undefined,
  );
  const body = chats.at(-1)!.body as { messages: { role: string; content: string }[] };
  return body.messages.map((m) => m.content).join('\n');
}

async function ask(c: ApiClient, question: string) {
  stack.upstream.reset();
  await stack.host.queues.waitIdle(10_000);
  stack.upstream.script({ text: 'It runs at 451 kelvin [1].' });
  const res = await c.stream(await c.newConversation(), { content: question, model: MODEL });
  const citations = res.events.find(
    (e): e is Extract<StreamEvent, { event: 'citations' }> => e.event === 'citations',
  );
  return { res, citations: citations?.data.citations ?? [], prompt: promptSent() };
}

describe('documents that answer back', () => {
  let docId: string;

  it('a 30-page PDF is ingested with rising progress, and page 17 is cited for its fact', async () => {
    const pages = Array.from({ length: 30 }, (_, i) =>
      i + 1 === 17 ? `${fillerPage(17)} ${FACT}` : fillerPage(i + 1),
    );
    const up = await upload(alice, 'Plant manual.pdf', await pdfOf(pages), 'application/pdf');
    expect(up.status).toBe(202);
    expect(up.body.document).toMatchObject({
      name: 'Plant manual.pdf',
      status: 'processing',
      source: 'upload',
    });
    docId = up.body.document.id;
    const seen: number[] = [];
    const doc = await settled(alice, docId, seen);
    expect(doc).toMatchObject({ status: 'ready', pages: 30, contentType: 'application/pdf', progress: 1 });
    expect(doc.chunkCount).toBeGreaterThan(0);
    // Progress never goes back.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    const { res, citations, prompt } = await ask(alice, QUESTION);
    const names = res.events.map((e) => e.event);
    expect(names.indexOf('citations')).toBe(1);
    expect(names.indexOf('citations')).toBeLessThan(names.indexOf('delta'));
    expect(citations[0]).toMatchObject({
      n: 1,
      documentId: docId,
      documentName: 'Plant manual.pdf',
      page: 17,
    });
    expect(prompt).toContain('451 kelvin');
    const stored = (await alice.get(`/api/conversations`)).body.conversations[0] as { id: string };
    const reply = (await alice.get(`/api/conversations/${stored.id}`)).body.messages[1];
    expect(reply.citations[0]).toMatchObject({ documentId: docId, page: 17 });
  });

  it('another user never sees those passages', async () => {
    const bob = new ApiClient(stack.url);
    await bob.register();
    const { citations, prompt } = await ask(bob, QUESTION);
    expect(citations).toEqual([]);
    expect(prompt).not.toContain('451 kelvin');
    expect((await bob.get(`/api/documents/${docId}`)).status).toBe(404);
    expect((await bob.get(`/api/documents/${docId}/file`)).status).toBe(404);
  });

  it('the original comes back to its owner as an attachment', async () => {
    const res = await fetch(`${stack.url}/api/documents/${docId}/file`, {
      headers: { cookie: alice.cookie! },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename\*=UTF-8''Plant%20manual\.pdf$/,
    );
    expect(new TextDecoder().decode((await res.arrayBuffer()).slice(0, 5))).toBe('%PDF-');
  });

  it('deleted, it is gone from retrieval at once', async () => {
    expect((await alice.request('DELETE', `/api/documents/${docId}`)).status).toBe(204);
    const { citations, prompt } = await ask(alice, QUESTION);
    expect(citations).toEqual([]);
    expect(prompt).not.toContain('451 kelvin');
    expect((await alice.get('/api/documents')).body.documents).toEqual([]);
  });

  it('a file dropped into inbox/{userId}/ becomes that user’s document', async () => {
    const blobs = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient(
      'inbox',
    );
    await blobs.createIfNotExists();
    const text = `# Notes\n\n${FACT}\n`;
    await blobs.getBlockBlobClient(`${aliceId}/notes/plant.md`).upload(text, Buffer.byteLength(text));
    let found: Document | undefined;
    const until = Date.now() + 60_000;
    while (!found && Date.now() < until) {
      found = ((await alice.get('/api/documents')).body.documents as Document[]).find(
        (d) => d.source === 'inbox',
      );
      if (!found) await new Promise((r) => setTimeout(r, 250));
    }
    expect(found).toMatchObject({ name: 'notes/plant.md', source: 'inbox' });
    expect(await settled(alice, found!.id)).toMatchObject({ status: 'ready', contentType: 'text/markdown' });
    const { citations } = await ask(alice, QUESTION);
    expect(citations[0]).toMatchObject({ documentId: found!.id, page: null });
    await alice.request('DELETE', `/api/documents/${found!.id}`);
  });

  it('a large file goes straight to storage through a write-only upload link', async () => {
    const bytes = new TextEncoder().encode(`Plant log\n\n${FACT}\n`);
    const res = await alice.post('/api/documents/upload-url', { name: 'log.txt', size: bytes.byteLength });
    expect(res.status).toBe(200);
    const { document, uploadUrl, expiresAt } = res.body as {
      document: Document;
      uploadUrl: string;
      expiresAt: string;
    };
    expect(new Date(expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000 + 5000);
    // Write-only: the link cannot read what is there.
    expect((await fetch(uploadUrl)).status).toBe(403);
    const put = await fetch(uploadUrl, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: bytes,
    });
    expect(put.status).toBe(201);
    expect(await settled(alice, document.id)).toMatchObject({ status: 'ready', contentType: 'text/plain' });
    await alice.request('DELETE', `/api/documents/${document.id}`);
  });

  it('bad files are refused or failed with a reason, and the host keeps ingesting', async () => {
    const exe = new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, ...new Array(200).fill(0)]);
    const renamed = await upload(alice, 'report.pdf', exe);
    expect(renamed.status).toBe(415);
    expect(renamed.body.error?.message).toMatch(/^We can read PDF, Word/);
    expect((await upload(alice, 'empty.txt', new Uint8Array())).status).toBe(400);
    const big = await upload(alice, 'big.txt', new Uint8Array(3 * 1024 * 1024).fill(0x61));
    expect(big.status).toBe(413);
    expect(
      (await alice.post('/api/documents/upload-url', { name: 'big.pdf', size: 3 * 1024 * 1024 })).status,
    ).toBe(413);

    const blank = await upload(alice, 'scan.pdf', await pdfOf(['', '', '']));
    expect(await settled(alice, blank.body.document.id)).toMatchObject({
      status: 'failed',
      error: 'No text found: scanned pages need OCR, which we do not do yet.',
    });
    const fine = await upload(
      alice,
      'fine.txt',
      new TextEncoder().encode('Still working after the bad ones.'),
    );
    expect(await settled(alice, fine.body.document.id)).toMatchObject({ status: 'ready' });
    expect((await alice.get('/api/documents')).body.documents.map((d: Document) => d.name)).not.toContain(
      'report.pdf',
    );
  });

  it('deleting the account deletes its documents: rows, chunks, vectors and blobs', async () => {
    const carol = new ApiClient(stack.url);
    const carolId = (await carol.register(undefined, 'carol password')).user.id;
    const up = await upload(carol, 'diary.txt', new TextEncoder().encode(`Dear diary. ${FACT}`));
    await settled(carol, up.body.document.id);
    const chunks = () =>
      stack.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM document_chunks WHERE user_id = $1`, [
        carolId,
      ]);
    expect((await chunks()).n).toBeGreaterThan(0);
    const container = BlobServiceClient.fromConnectionString(
      stack.azurite.connectionString,
    ).getContainerClient('documents');
    const blobsOf = async () => {
      const names: string[] = [];
      for await (const b of container.listBlobsFlat({ prefix: `${carolId}/` })) names.push(b.name);
      return names;
    };
    expect(await blobsOf()).toHaveLength(1);
    expect((await carol.request('DELETE', '/api/account', { password: 'carol password' })).status).toBe(204);
    expect((await chunks()).n).toBe(0);
    expect(await blobsOf()).toEqual([]);
    expect(await stack.db.many(`SELECT 1 FROM documents WHERE user_id = $1`, [carolId])).toEqual([]);
  });
});
