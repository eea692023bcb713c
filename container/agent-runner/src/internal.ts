/** @module Text the agent marks `<internal>…</internal>` is for the log, never for the chat. */
export function removeInternal(text: string): { visible: string; hidden: string } {
  const hidden: string[] = [];
  const visible = text.replace(/<internal>([\s\S]*?)(<\/internal>|$)/g, (_m, inner: string) => { hidden.push(inner.trim()); return ''; });
  return { visible: visible.replace(/\n{3,}/g, '\n\n').trim(), hidden: hidden.join('\n') };
}
