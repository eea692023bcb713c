/**
 * @module Voice notes to text, when the owner names a command for it (TRANSCRIBE_COMMAND, e.g. a
 * whisper.cpp wrapper): the command gets the audio file as its last argument and prints the text.
 * No shell: the setting is split on spaces into the program and its first arguments.
 */
import { execFile } from 'node:child_process';

export type Transcribe = (file: string) => Promise<string>;

const TIMEOUT_MS = 120_000;
const MAX_CHARS = 10_000;

export function commandTranscriber(command: string): Transcribe {
  const [program, ...args] = command.trim().split(/\s+/);
  if (!program) throw new Error('TRANSCRIBE_COMMAND is empty');
  return (file) => new Promise((resolve, reject) => {
    execFile(program, [...args, file], { timeout: TIMEOUT_MS, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const why = err.killed ? `took longer than ${TIMEOUT_MS / 1000} s` : (stderr.trim().split('\n').at(-1) || err.message);
        reject(new Error(`${program} failed: ${why.slice(0, 300)}`));
        return;
      }
      const text = stdout.trim();
      resolve(text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text);
    });
  });
}
