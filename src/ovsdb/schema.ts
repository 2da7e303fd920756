/**
 * The database schema as the codec needs it: per column, the atom type of
 * key and value and the set bounds, which decide the native representation
 * (atom, array or object). Parsed from `get_schema` (RFC 7047 section 3.2).
 */
import { OvsdbProtocolError } from './errors.js';

export type AtomType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';

export interface BaseType {
  type: AtomType;
  refTable?: string;
  refType?: 'strong' | 'weak';
  enum?: unknown;
}

export type ColumnKind = 'scalar' | 'set' | 'map';

export interface ColumnSchema {
  name: string;
  key: BaseType;
  value?: BaseType;
  min: number;
  max: number;
  kind: ColumnKind;
  ephemeral: boolean;
  mutable: boolean;
}

export interface TableSchema {
  name: string;
  columns: Map<string, ColumnSchema>;
  indexes: string[][];
  isRoot: boolean;
  maxRows?: number;
}

export interface DatabaseSchema {
  name: string;
  version: string;
  cksum?: string;
  tables: Map<string, TableSchema>;
  /** The schema JSON as the server sent it. */
  raw: unknown;
}

const atomTypes = new Set<AtomType>(['integer', 'real', 'boolean', 'string', 'uuid']);
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, what: string): never {
  throw new OvsdbProtocolError(`schema: ${where}: ${what}`);
}

function parseBase(v: unknown, where: string): BaseType {
  if (typeof v === 'string') {
    if (!atomTypes.has(v as AtomType)) fail(where, `unknown atomic type '${v}'`);
    return { type: v as AtomType };
  }
  if (!isObject(v)) fail(where, 'base type must be a string or an object');
  const t = v.type;
  if (typeof t !== 'string' || !atomTypes.has(t as AtomType)) fail(where, `unknown atomic type ${JSON.stringify(t)}`);
  const base: BaseType = { type: t as AtomType };
  if (typeof v.refTable === 'string') {
    base.refTable = v.refTable;
    base.refType = v.refType === 'weak' ? 'weak' : 'strong';
  }
  if (v.enum !== undefined) base.enum = v.enum;
  return base;
}

function parseColumn(name: string, v: unknown, where: string): ColumnSchema {
  if (!isObject(v)) fail(where, 'column must be an object');
  const type = v.type;
  let key: BaseType;
  let value: BaseType | undefined;
  let min = 1;
  let max = 1;
  if (typeof type === 'string') key = parseBase(type, where);
  else if (isObject(type)) {
    key = parseBase(type.key, `${where}.key`);
    if (type.value !== undefined) value = parseBase(type.value, `${where}.value`);
    if (type.min !== undefined) {
      if (typeof type.min !== 'number') fail(where, 'min must be a number');
      min = type.min;
    }
    if (type.max !== undefined) {
      if (type.max === 'unlimited') max = Infinity;
      else if (typeof type.max === 'number') max = type.max;
      else fail(where, 'max must be a number or "unlimited"');
    }
  } else fail(where, 'type must be a string or an object');
  const kind: ColumnKind = value ? 'map' : min === 1 && max === 1 ? 'scalar' : 'set';
  return {
    name,
    key,
    ...(value ? { value } : {}),
    min,
    max,
    kind,
    ephemeral: v.ephemeral === true,
    mutable: v.mutable !== false,
  };
}

/** Parses a schema JSON object; a malformed schema is a protocol error naming the table and column. */
export function parseSchema(raw: unknown): DatabaseSchema {
  if (!isObject(raw)) fail('<root>', 'not an object');
  if (typeof raw.name !== 'string') fail('<root>', 'missing name');
  if (!isObject(raw.tables)) fail(raw.name, 'missing tables');
  const tables = new Map<string, TableSchema>();
  for (const [tname, tv] of Object.entries(raw.tables)) {
    if (!isObject(tv) || !isObject(tv.columns)) fail(tname, 'table must have columns');
    const columns = new Map<string, ColumnSchema>();
    for (const [cname, cv] of Object.entries(tv.columns)) columns.set(cname, parseColumn(cname, cv, `${tname}.${cname}`));
    const indexes = Array.isArray(tv.indexes) ? (tv.indexes as unknown[]).filter(Array.isArray).map((ix) => ix.map(String)) : [];
    tables.set(tname, {
      name: tname,
      columns,
      indexes,
      isRoot: tv.isRoot === true,
      ...(typeof tv.maxRows === 'number' ? { maxRows: tv.maxRows } : {}),
    });
  }
  return {
    name: raw.name,
    version: typeof raw.version === 'string' ? raw.version : '',
    ...(typeof raw.cksum === 'string' ? { cksum: raw.cksum } : {}),
    tables,
    raw,
  };
}
