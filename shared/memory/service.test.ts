import { describe, expect, it } from 'vitest';
import { memoryBlock } from './prompt';
import { EXTRACTION_SCHEMA, extractionAnswer } from './service';

describe('the extractor answer', () => {
  it('accepts what the schema describes and refuses what it does not', () => {
    const ok = { memories: [{ text: ' Lives in Lyon ', kind: 'fact', updates: null }] };
    expect(extractionAnswer.parse(ok).memories[0]!.text).toBe('Lives in Lyon');
    expect(() =>
      extractionAnswer.parse({ memories: [{ text: 'x', kind: 'opinion', updates: null }] }),
    ).toThrow();
    expect(() => extractionAnswer.parse({ memories: [{ text: '', kind: 'fact', updates: null }] })).toThrow();
    expect(() => extractionAnswer.parse({})).toThrow();
  });

  it('is a strict schema: every property required, nothing else allowed', () => {
    const item = EXTRACTION_SCHEMA.properties.memories.items;
    expect(EXTRACTION_SCHEMA.additionalProperties).toBe(false);
    expect(item.additionalProperties).toBe(false);
    expect([...item.required].sort()).toEqual(Object.keys(item.properties).sort());
  });
});

describe('the memory block', () => {
  it('is null with nothing to recall, and lists the memories with the instruction otherwise', () => {
    expect(memoryBlock({ name: 'Ada', memories: [] })).toBeNull();
    const block = memoryBlock({ name: 'Ada', memories: ['Is vegetarian'] })!;
    expect(block).toMatch(/remember about the user/);
    expect(block).toContain('- Name: Ada\n- Is vegetarian');
  });
});
