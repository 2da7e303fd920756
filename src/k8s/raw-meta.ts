/** What can be read of a raw (untrimmed, maybe invalid) object's metadata. */
function rawMeta(raw: unknown): { name?: unknown; namespace?: unknown; resourceVersion?: unknown } | undefined {
  const md = (raw as { metadata?: unknown } | null)?.metadata;
  return typeof md === 'object' && md !== null ? md : undefined;
}

/** "ns/name" (or "name"), if the object has a name. */
export function rawKey(raw: unknown): string | undefined {
  const md = rawMeta(raw);
  if (typeof md?.name !== 'string') return undefined;
  return typeof md.namespace === 'string' && md.namespace ? `${md.namespace}/${md.name}` : md.name;
}

export function rawRv(raw: unknown): string {
  const rv = rawMeta(raw)?.resourceVersion;
  return typeof rv === 'string' ? rv : '';
}
