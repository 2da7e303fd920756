/**
 * Native (decoded) OVSDB values and operations: what callers of the client
 * read from the cache and pass to transact(). The schema-driven codec maps
 * them to and from RFC 7047 wire JSON, so callers never build ["set", ...],
 * ["map", ...] or ["uuid", ...] themselves.
 *
 * Representation, by column type (from the schema):
 * - scalar column (min 1, max 1): the atom itself;
 * - set column (max > 1, or min 0): an array of atoms, also when it holds one;
 * - map column: a plain object; integer/real/boolean keys as their decimal or
 *   'true'/'false' text, turned back into atoms by the codec;
 * - uuid atoms: the UUID text. On encode, text that is a UUID becomes
 *   ["uuid", x]; any other text in a uuid-typed position must be a named-uuid
 *   of the same transaction (an identifier) and becomes ["named-uuid", x].
 */
export type Atom = string | number | boolean;
export type OvsMap = Record<string, Atom>;
export type Value = Atom | Atom[] | OvsMap;

/** A row as read from the cache: every column of the table, plus _uuid and _version. */
export interface Row {
  _uuid: string;
  _version?: string;
  [column: string]: Value | undefined;
}

/** Columns to write: any subset of the table's columns, no _uuid/_version. */
export type RowData = Record<string, Value>;

export type Func = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'includes' | 'excludes';
export type Condition = readonly [column: string, func: Func, value: Value];
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type Mutation = readonly [column: string, mutator: Mutator, value: Value];

export type Operation =
  | { op: 'insert'; table: string; row: RowData; uuidName?: string; uuid?: string }
  | { op: 'select'; table: string; where: readonly Condition[]; columns?: string[] }
  | { op: 'update'; table: string; where: readonly Condition[]; row: RowData }
  | { op: 'mutate'; table: string; where: readonly Condition[]; mutations: readonly Mutation[] }
  | { op: 'delete'; table: string; where: readonly Condition[] }
  | {
      op: 'wait';
      table: string;
      where: readonly Condition[];
      columns: string[];
      until: '==' | '!=';
      rows: RowData[];
      timeout?: number;
    }
  | { op: 'commit'; durable: boolean }
  | { op: 'abort' }
  | { op: 'comment'; comment: string }
  | { op: 'assert'; lock: string };

/** One operation's result, decoded: insert → uuid; select → rows; update/mutate/delete → count. */
export interface OperationResult {
  uuid?: string;
  rows?: Row[];
  count?: number;
}
