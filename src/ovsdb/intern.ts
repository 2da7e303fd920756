/**
 * A row's uuid is also in every reference set that holds it (a port in its
 * port groups and its switch, a policy in its router): ~1.3 M such copies at
 * 150k pods, 56 bytes each. The uuid that names a row in an update is a
 * property key of the update's JSON, which V8 keeps in its table of
 * internalized strings. Looking a referenced uuid up as a property key finds
 * that copy and turns the decoded string into a forwarding stub, which the
 * next collection removes from every holder: the reference then shares the
 * row's string. No pool of our own: the table is weak, so a uuid nothing
 * holds any more leaves it. (A string with no internalized twin is left as
 * it is: this does not pool other values, StringPool does.)
 */
const KEYS = Object.create(null) as Record<string, undefined>;

/** `uuid`, sharing its characters with the internalized copy of it if there is one. */
export function internUuid(uuid: string): string {
  return KEYS[uuid] ?? uuid;
}
