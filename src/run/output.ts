/**
 * Synchronous, batched output to a file descriptor, usable from a worker thread: lines are
 * gathered into ~1 MiB batches and written with writeSync, so writing never waits on the
 * main thread's event loop. A pipe that is full (EAGAIN on a non-blocking stdout) is retried.
 */
import { writeSync } from 'node:fs';

const BATCH = 1 << 20;
const pause = new Int32Array(new SharedArrayBuffer(4));

export class FdWriter {
  private parts: string[] = [];
  private size = 0;
  bytesWritten = 0;

  constructor(private readonly fd: number) {}

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= BATCH) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(pause, 0, 0, 2);
      }
    }
    this.bytesWritten += buf.length;
  }
}
