/** CRC-64 of a file's first `end` bytes, read asynchronously (runs beside a parse worker). */
import { open } from 'node:fs/promises';
import { Crc64 } from './crc64.ts';

export async function crcOfFile(path: string, end: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const crc = new Crc64();
    const buf = crc.window;
    let pos = 0;
    while (pos < end) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) break;
      crc.updateWindow(bytesRead);
      pos += bytesRead;
    }
    return crc.hex();
  } finally {
    await fh.close();
  }
}
