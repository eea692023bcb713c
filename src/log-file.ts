/**
 * @module The log file beside the journal (`logs/nanokimi.log`, what `tail -f` users expect): a
 * stream that appends JSON lines and rolls the file over at a size limit, keeping a few old ones
 * as nanokimi.log.1 (newest) … nanokimi.log.N.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';

export function createRollingFile(file: string, opts: { maxBytes?: number; keep?: number } = {}): Writable {
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  const keep = opts.keep ?? 5;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let fd = fs.openSync(file, 'a', 0o640);
  let size = fs.fstatSync(fd).size;

  function roll(): void {
    fs.closeSync(fd);
    for (let i = keep - 1; i >= 1; i--) {
      if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    }
    fs.renameSync(file, `${file}.1`);
    fd = fs.openSync(file, 'a', 0o640);
    size = 0;
  }

  return new Writable({
    // Synchronous appends: a line written before a crash is on disk, and order is kept.
    write(chunk: Buffer, _enc, done) {
      try {
        if (size > 0 && size + chunk.length > maxBytes) roll();
        fs.writeSync(fd, chunk);
        size += chunk.length;
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    final(done) { fs.closeSync(fd); done(); },
  });
}
