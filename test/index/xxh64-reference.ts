/** XXH64 in BigInt arithmetic, straight from the algorithm description: the oracle for the wasm kernel. */
const M = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M;
const mul = (a: bigint, b: bigint): bigint => (a * b) & M;
const add = (a: bigint, b: bigint): bigint => (a + b) & M;
const round = (acc: bigint, input: bigint): bigint => mul(rotl(add(acc, mul(input, P2)), 31n), P1);
const merge = (acc: bigint, v: bigint): bigint => add(mul(acc ^ round(0n, v), P1), P4);

function read(bytes: Uint8Array, at: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
  return v;
}

export function xxh64Reference(bytes: Uint8Array, seed: bigint): bigint {
  const len = bytes.length;
  let p = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = add(add(seed, P1), P2);
    let v2 = add(seed, P2);
    let v3 = seed;
    let v4 = (seed - P1) & M;
    while (p + 32 <= len) {
      v1 = round(v1, read(bytes, p, 8));
      v2 = round(v2, read(bytes, p + 8, 8));
      v3 = round(v3, read(bytes, p + 16, 8));
      v4 = round(v4, read(bytes, p + 24, 8));
      p += 32;
    }
    h = add(add(rotl(v1, 1n), rotl(v2, 7n)), add(rotl(v3, 12n), rotl(v4, 18n)));
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = add(seed, P5);
  }
  h = add(h, BigInt(len));
  while (p + 8 <= len) {
    h ^= round(0n, read(bytes, p, 8));
    h = add(mul(rotl(h, 27n), P1), P4);
    p += 8;
  }
  if (p + 4 <= len) {
    h ^= mul(read(bytes, p, 4), P1);
    h = add(mul(rotl(h, 23n), P2), P3);
    p += 4;
  }
  while (p < len) {
    h ^= mul(BigInt(bytes[p]!), P5);
    h = mul(rotl(h, 11n), P1);
    p++;
  }
  h ^= h >> 33n;
  h = mul(h, P2);
  h ^= h >> 29n;
  h = mul(h, P3);
  h ^= h >> 32n;
  return h;
}
