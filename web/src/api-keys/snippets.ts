/** Copyable examples for a key: the official SDKs pointed at this server, unchanged otherwise. */
export function snippets(origin: string, secret: string, model: string) {
  const base = `${origin}/api/v1`;
  return {
    curl: [
      `curl ${base}/chat/completions \\`,
      `  -H "Authorization: Bearer ${secret}" \\`,
      `  -H "Content-Type: application/json" \\`,
      `  -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello!"}]}'`,
    ].join('\n'),
    python: [
      'from openai import OpenAI',
      '',
      `client = OpenAI(base_url="${base}", api_key="${secret}")`,
      'reply = client.chat.completions.create(',
      `    model="${model}",`,
      '    messages=[{"role": "user", "content": "Hello!"}],',
      ')',
      'print(reply.choices[0].message.content)',
    ].join('\n'),
    javascript: [
      "import OpenAI from 'openai';",
      '',
      `const client = new OpenAI({ baseURL: '${base}', apiKey: '${secret}' });`,
      'const reply = await client.chat.completions.create({',
      `  model: '${model}',`,
      "  messages: [{ role: 'user', content: 'Hello!' }],",
      '});',
      'console.log(reply.choices[0].message.content);',
    ].join('\n'),
  };
}
