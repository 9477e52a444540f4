import type { Conversation, Message } from '../contracts/conversations';

export interface ConversationExport {
  filename: string;
  contentType: string;
  body: string;
}

const UNTITLED = 'Untitled conversation';

/** A file name any system accepts: letters, digits and dashes, never empty, never long. */
export function exportFilename(title: string | null, ext: string): string {
  const slug = (title ?? '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return `${slug || 'conversation'}.${ext}`;
}

/** `Content-Disposition` for a download, ASCII name plus the UTF-8 one (RFC 6266). */
export const attachment = (filename: string) =>
  `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

/**
 * The active branch as Markdown: a heading per turn, the text as it was written (it is Markdown
 * already). Failed replies say so; nothing else (usage, ids) is in it.
 */
export function toMarkdown(conversation: Conversation, messages: Message[], exportedAt: Date): string {
  const parts = [
    `# ${conversation.title ?? UNTITLED}`,
    `_Exported from GloriaMundo on ${exportedAt.toISOString().slice(0, 10)}._`,
  ];
  if (conversation.systemPrompt)
    parts.push(`> **System prompt:** ${conversation.systemPrompt.replace(/\n/g, '\n> ')}`);
  for (const m of messages) {
    const who = m.role === 'user' ? 'You' : `Assistant${m.model ? ` (${m.model})` : ''}`;
    let text = m.content;
    if (m.status === 'failed')
      text += `${text ? '\n\n' : ''}_The reply failed: ${m.error?.message ?? 'no reason given'}._`;
    else if (m.status === 'stopped') text += `${text ? '\n\n' : ''}_Stopped._`;
    else if (m.status === 'streaming') text += `${text ? '\n\n' : ''}_Still being written when exported._`;
    parts.push(`## ${who}`, text);
  }
  return `${parts.join('\n\n')}\n`;
}

/** The active branch as JSON: the conversation's settings and each message as the API has it. */
export function toJson(conversation: Conversation, messages: Message[], exportedAt: Date): string {
  return `${JSON.stringify(
    {
      exportedAt: exportedAt.toISOString(),
      conversation,
      messages: messages.map((m) => ({
        id: m.id,
        parentId: m.parentId,
        role: m.role,
        content: m.content,
        reasoning: m.reasoning,
        model: m.model,
        status: m.status,
        error: m.error,
        citations: m.citations,
        usage: m.usage,
        feedback: m.feedback,
        createdAt: m.createdAt,
      })),
    },
    null,
    2,
  )}\n`;
}
