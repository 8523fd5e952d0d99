/** sfc32, the small fast counting PRNG the fuzzer and the benchmark data are drawn from. */
export class Sfc32 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** The four state words, then `warmup` outputs discarded. */
  constructor(a: number, b: number, c: number, d: number, warmup: number) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    for (let i = 0; i < warmup; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
}
