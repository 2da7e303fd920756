/**
 * A string built by `+` or a template literal is, in V8, a tree of its
 * parts (a ConsString of 32 bytes per join) until something reads it
 * character by character. Reading one character flattens it in place, and
 * the next scavenge then drops the tree for the flat copy. Names and keys
 * that live as long as the cluster (hundreds of thousands of them) are
 * flattened when built: a 4-part key took 136 bytes as a tree, 64 flat.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}
