import { describe, expect, it } from 'vitest';
import { closeOpenFences, toWhatsApp } from './format.ts';
import { splitReply } from './outbound.ts';

describe('Markdown to WhatsApp formatting', () => {
  it.each([
    ['**bold** and __bold__', '*bold* and *bold*'],
    ['*italic* and _italic_', '_italic_ and _italic_'],
    ['***both***', '*_both_*'],
    ['~~gone~~', '~gone~'],
    ['# Title', '*Title*'],
    ['### Step 2 ###', '*Step 2*'],
    ['* one\n* two\n+ three', '- one\n- two\n- three'],
    ['- kept\n1. numbered', '- kept\n1. numbered'],
    ['see [the docs](https://example.com/x) or <https://a.b>', 'see the docs (https://example.com/x) or <https://a.b>'],
    ['[https://a.b](https://a.b)', 'https://a.b'],
    ['> a quote', '> a quote'],
    ['above\n\n---\n\nbelow', 'above\n\nbelow'],
    ['2 * 3 * 4 = 24', '2 * 3 * 4 = 24'],
    ['snake_case_name and file_name.txt', 'snake_case_name and file_name.txt'],
    ['use `**not bold**` here', 'use `**not bold**` here'],
    ['plain text', 'plain text'],
  ])('%j -> %j', (md, wa) => expect(toWhatsApp(md)).toBe(wa));

  it('leaves code blocks alone and drops the language tag WhatsApp would show', () => {
    expect(toWhatsApp('Run:\n```bash\necho **hi** # comment\n```\nDone **now**.'))
      .toBe('Run:\n```\necho **hi** # comment\n```\nDone *now*.');
  });

  it('puts a table into a monospace block so its columns line up', () => {
    expect(toWhatsApp('Prices:\n| item | € |\n|---|---|\n| tea | 2 |\nThat is all.'))
      .toBe('Prices:\n```\n| item | € |\n|---|---|\n| tea | 2 |\n```\nThat is all.');
  });

  it('closes a code block the model left open', () => {
    expect(toWhatsApp('```\nx = 1')).toBe('```\nx = 1\n```');
  });
});

describe('long replies cut into messages', () => {
  it('never leaves a code block open across two messages', () => {
    const code = Array.from({ length: 60 }, (_, i) => `line ${i} of the program`).join('\n');
    const reply = toWhatsApp(`Here it is:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is the program.`);
    const chunks = closeOpenFences(splitReply(reply, 500));
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect((c.match(/```/g) ?? []).length % 2).toBe(0);
    // Nothing lost: the lines are all there, in order.
    const lines = chunks.join('\n').split('\n').filter((l) => l.startsWith('line '));
    expect(lines).toEqual(code.split('\n'));
    expect(chunks.at(-1)).toContain('That is the program.');
  });

  it('leaves chunks without code as they are', () => {
    expect(closeOpenFences(['a', 'b'])).toEqual(['a', 'b']);
  });
});
