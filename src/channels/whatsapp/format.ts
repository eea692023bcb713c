/**
 * @module Markdown, as models write it, in WhatsApp's own formatting. Pure. WhatsApp knows *bold*,
 * _italic_, ~strike~, `code`, ``` blocks, "- " and "1. " lists and "> " quotes; the rest is
 * rewritten: headings become bold lines, links show their address, tables go into a monospace
 * block. Nothing inside code is touched.
 */

const FENCE = '```';

/** Rewrites one line of prose (not code). */
function formatLine(line: string): string {
  // Inline code is left as it is: cut it out, format the rest, put it back.
  const codes: string[] = [];
  let s = line.replace(/`[^`\n]+`/g, (m) => `\u0000${codes.push(m) - 1}\u0000`);

  const heading = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(s);
  if (heading) s = `**${heading[1]}**`;
  if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(s)) return '';
  s = s.replace(/^(\s*)[*+]\s+/, '$1- '); // "* item" would read as bold
  s = s.replace(/!?\[([^\]\n]+)\]\(([^)\s]+)\)/g, (_m, text: string, url: string) => (text === url ? url : `${text} (${url})`));
  // Bold first into a placeholder, so that its asterisks are not taken for italics.
  s = s.replace(/\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*/g, '\u0001_$1_\u0001');
  s = s.replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__/g, (_m, a?: string, b?: string) => `\u0001${a ?? b}\u0001`);
  s = s.replace(/(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])/g, '_$1_');
  s = s.replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '~$1~');
  s = s.replace(/\u0001/g, '*');
  return s.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => codes[Number(i)]!);
}

const isTableRow = (line: string) => /^\s*\|.*\|\s*$/.test(line);

export function toWhatsApp(markdown: string): string {
  const out: string[] = [];
  let inCode = false;
  let inTable = false;
  for (const line of markdown.replace(/\r\n/g, '\n').split('\n')) {
    if (/^\s*```/.test(line)) {
      // WhatsApp shows the language tag as text: drop it.
      if (inTable) { out.push(FENCE); inTable = false; }
      out.push(FENCE);
      inCode = !inCode;
      continue;
    }
    if (inCode) { out.push(line); continue; }
    if (isTableRow(line) !== inTable) { out.push(FENCE); inTable = !inTable; }
    out.push(inTable ? line : formatLine(line));
  }
  if (inTable || inCode) out.push(FENCE);
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * After a reply was cut into chunks: a code block open at the end of a chunk is closed there and
 * opened again at the start of the next, so each message reads on its own.
 */
export function closeOpenFences(chunks: readonly string[]): string[] {
  let open = false;
  return chunks.map((chunk) => {
    const text = open ? `${FENCE}\n${chunk}` : chunk;
    const fences = (chunk.match(/```/g) ?? []).length;
    open = fences % 2 === 1 ? !open : open;
    return open ? `${text}\n${FENCE}` : text;
  });
}
