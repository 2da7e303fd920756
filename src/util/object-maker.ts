/**
 * V8 gives an object made by `{}`, `{ a: x }` or a spread room for only four
 * properties in the object itself; the rest go to a separate array, 24-40
 * bytes more per object and one more hop per read. (A spread copy of a
 * template with room for more keeps that room only while the spread's call
 * site sees one template: the NB cache decodes nine tables through one.)
 * An object made by `new` of a constructor is sized for the properties that
 * constructor's first objects got (in-object slack tracking), per
 * constructor. So each key list gets its own constructor: rows of many
 * columns, hundreds of thousands of them, hold every column in the object.
 */
export function objectMaker(keys: readonly string[]): () => Record<string, unknown> {
  // `__proto__` (a valid OVSDB column name) must be an own property, which a plain assignment would not make.
  const Plain = keys.includes('__proto__')
    ? function (this: Record<string, unknown>) {
        for (const k of keys) Object.defineProperty(this, k, { value: null, writable: true, enumerable: true, configurable: true });
      }
    : function (this: Record<string, unknown>) {
        for (const k of keys) this[k] = null;
      };
  // Objects made by it are plain objects: Object.prototype, no constructor of their own.
  Plain.prototype = Object.prototype;
  const Make = Plain as unknown as new () => Record<string, unknown>;
  return () => new Make();
}
