/**
 * V8 gives an object made by `{}` or `{ a: x }` room for only a few
 * properties in the object itself; the rest go to a separate array, 24-40
 * bytes more per object and one more hop per read. An object JSON.parse
 * made has room for all its keys, and so has every spread copy of it: rows
 * of many columns (hundreds of thousands of them) are made from such a
 * template, 216 -> 184 bytes for a row of 8 columns.
 */
export function objectTemplate(keys: readonly string[]): Readonly<Record<string, unknown>> {
  return JSON.parse(JSON.stringify(Object.fromEntries(keys.map((k) => [k, null])))) as Record<string, unknown>;
}
