/**
 * Native Operation[] → wire `transact` params, and wire results → native
 * results or a typed OvsdbTransactError (RFC 7047 section 5.2).
 */
import { OvsdbEncodeError, OvsdbProtocolError, OvsdbTransactError } from './errors.js';
import { decodeRow, encodeAtom, encodeRow, encodeValue, requireColumn, requireTable, type Where, type Wire } from './codec.js';
import { isObject, type ColumnSchema, type DatabaseSchema, type TableSchema } from './schema.js';
import type { Condition, Mutation, Operation, OperationResult } from './types.js';

const funcs = new Set(['==', '!=', '<', '<=', '>', '>=', 'includes', 'excludes']);
const mutators = new Set(['+=', '-=', '*=', '/=', '%=', 'insert', 'delete']);

function encodeWhere(table: TableSchema, where: readonly Condition[], at: () => string): Wire[] {
  if (!Array.isArray(where)) throw new OvsdbEncodeError(`${at()}: where must be an array of [column, function, value]`);
  return where.map(([column, func, value], i) => {
    if (!funcs.has(func)) throw new OvsdbEncodeError(`${at()}.where[${i}]: unknown function '${String(func)}'`);
    const col = requireColumn(table, column, () => `${at()}.where[${i}]`);
    return [column, func, encodeValue(col, value, () => `${at()}.where[${i}] ${column}`)];
  });
}

function encodeMutation(table: TableSchema, m: Mutation, at: () => string): Wire {
  const [column, mutator, value] = m;
  if (!mutators.has(mutator)) throw new OvsdbEncodeError(`${at()}: unknown mutator '${String(mutator)}'`);
  const col: ColumnSchema = requireColumn(table, column, at);
  const where: Where = () => `${at()} ${column}`;
  if (mutator === 'insert' || mutator === 'delete') {
    if (col.kind === 'scalar') throw new OvsdbEncodeError(`${at()} ${column}: '${mutator}' needs a set or map column`);
    // Deleting from a map by keys: the value is a set of keys.
    if (col.kind === 'map' && mutator === 'delete' && Array.isArray(value)) {
      return [column, mutator, ['set', value.map((k) => encodeAtom(col.key, k, where))]];
    }
    return [column, mutator, encodeValue(col, value, where)];
  }
  // Arithmetic: the operand is one atom of the column's key type.
  return [column, mutator, encodeAtom(col.key, value, where)];
}

/** Encodes one operation; errors name its index and table. */
export function encodeOperation(schema: DatabaseSchema, op: Operation, index: number): Wire {
  const at = () => `operation ${index} (${op.op}${'table' in op ? ` ${op.table}` : ''})`;
  switch (op.op) {
    case 'insert': {
      const table = requireTable(schema, op.table);
      const w: Record<string, Wire> = { op: 'insert', table: op.table, row: encodeRow(table, op.row, at) };
      if (op.uuidName !== undefined) w['uuid-name'] = op.uuidName;
      if (op.uuid !== undefined) w.uuid = op.uuid;
      return w;
    }
    case 'select': {
      const table = requireTable(schema, op.table);
      const w: Record<string, Wire> = { op: 'select', table: op.table, where: encodeWhere(table, op.where, at) };
      if (op.columns) {
        for (const c of op.columns) requireColumn(table, c, at);
        w.columns = op.columns;
      }
      return w;
    }
    case 'update': {
      const table = requireTable(schema, op.table);
      return { op: 'update', table: op.table, where: encodeWhere(table, op.where, at), row: encodeRow(table, op.row, at) };
    }
    case 'mutate': {
      const table = requireTable(schema, op.table);
      return {
        op: 'mutate',
        table: op.table,
        where: encodeWhere(table, op.where, at),
        mutations: op.mutations.map((m, i) => encodeMutation(table, m, () => `${at()}.mutations[${i}]`)),
      };
    }
    case 'delete': {
      const table = requireTable(schema, op.table);
      return { op: 'delete', table: op.table, where: encodeWhere(table, op.where, at) };
    }
    case 'wait': {
      const table = requireTable(schema, op.table);
      for (const c of op.columns) requireColumn(table, c, at);
      const w: Record<string, Wire> = {
        op: 'wait',
        table: op.table,
        where: encodeWhere(table, op.where, at),
        columns: op.columns,
        until: op.until,
        rows: op.rows.map((r) => encodeRow(table, r, at)),
      };
      if (op.timeout !== undefined) w.timeout = op.timeout;
      return w;
    }
    case 'commit':
      return { op: 'commit', durable: op.durable };
    case 'abort':
      return { op: 'abort' };
    case 'comment':
      return { op: 'comment', comment: op.comment };
    case 'assert':
      return { op: 'assert', lock: op.lock };
    default:
      throw new OvsdbEncodeError(`${at()}: unknown operation ${JSON.stringify((op as { op: unknown }).op)}`);
  }
}


/**
 * Decodes a `transact` result array. The first error wins: an operation's
 * error, or the extra commit-error element after the last operation.
 */
export function decodeResults(schema: DatabaseSchema, ops: readonly Operation[], wire: Wire): OperationResult[] {
  if (!Array.isArray(wire)) throw new OvsdbProtocolError(`transact: expected an array of results, got ${typeof wire}`);
  for (let i = 0; i < wire.length; i++) {
    const r = wire[i];
    if (isObject(r) && r.error !== undefined) {
      const details = typeof r.details === 'string' ? r.details : undefined;
      const commit = i >= ops.length;
      throw new OvsdbTransactError(i, String(r.error), details, commit, commit ? undefined : ops[i]!.op);
    }
  }
  if (wire.length < ops.length) throw new OvsdbProtocolError(`transact: ${ops.length} operations but ${wire.length} results and no error`);
  return ops.map((op, i) => {
    const r = wire[i];
    const at = (): string => `transact result ${i} (${op.op})`;
    if (!isObject(r)) throw new OvsdbProtocolError(`${at()}: expected an object, got ${JSON.stringify(r)}`);
    switch (op.op) {
      case 'insert': {
        const u = r.uuid;
        if (!Array.isArray(u) || u[0] !== 'uuid' || typeof u[1] !== 'string') throw new OvsdbProtocolError(`${at()}: expected uuid ["uuid", x], got ${JSON.stringify(u)}`);
        return { uuid: u[1] };
      }
      case 'select': {
        if (!Array.isArray(r.rows)) throw new OvsdbProtocolError(`${at()}: expected rows array`);
        const table = requireTable(schema, op.table);
        return { rows: r.rows.map((row, j) => decodeRow(table, row, `${at()} ${op.table} row ${j}`)) };
      }
      case 'update':
      case 'mutate':
      case 'delete':
        if (typeof r.count !== 'number') throw new OvsdbProtocolError(`${at()}: expected a count, got ${JSON.stringify(r.count)}`);
        return { count: r.count };
      default:
        return {};
    }
  });
}
