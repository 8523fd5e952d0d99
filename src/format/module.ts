/** Module type ids: nine 6-bit characters in the top 54 bits, the encoding version below. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function moduleName(id: bigint): string {
  let name = '';
  for (let i = 0; i < 9; i++) {
    const shift = BigInt(64 - 6 * (i + 1));
    name += ALPHABET[Number((id >> shift) & 63n)];
  }
  return name;
}

