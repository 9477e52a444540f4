/**
 * The memory part of the system prompt: what the assistant remembers about the user, with how
 * to use it. Null when there is nothing to say.
 */
export function memoryBlock(m: { name: string | null; memories: string[] }): string | null {
  const lines = [...(m.name ? [`Name: ${m.name}`] : []), ...m.memories].map((t) => `- ${t}`);
  if (!m.memories.length) return null;
  return (
    'What you remember about the user from earlier conversations (use it only where it helps this ' +
    'answer, never recite it, and let what the user says now win over it):\n' +
    lines.join('\n')
  );
}
