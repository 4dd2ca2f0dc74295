// Small helpers over plain JSON values: every stored object is plain JSON (no Dates, no classes), so
// structural equality, cloning and freezing can be simple and fast.

export type JsonObject = Record<string, unknown>

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A deep copy of a JSON value (faster than structuredClone for plain JSON in Node 20). */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T)
}

/**
 * Structural equality of JSON values. `undefined` object members count as absent, like JSON does,
 * so `{a: undefined}` equals `{}`.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const aKeys = Object.keys(a).filter((k) => a[k] !== undefined)
    const bKeys = Object.keys(b).filter((k) => b[k] !== undefined)
    if (aKeys.length !== bKeys.length) return false
    for (const key of aKeys) if (!deepEqual(a[key], b[key])) return false
    return true
  }
  return false
}

/** Freezes a JSON value and everything under it; shared objects (watch events) are frozen so no subscriber can alter another's view. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value as object)) deepFreeze(child)
  }
  return value
}

/** Reads a nested member by path; undefined when any step is missing. */
export function getPath(value: unknown, path: readonly string[]): unknown {
  let current = value
  for (const key of path) {
    if (!isPlainObject(current)) return undefined
    current = current[key]
  }
  return current
}

/** The record at `obj[key]`, created empty when absent or not an object. */
export function ensureObject(obj: JsonObject, key: string): JsonObject {
  const existing = obj[key]
  if (isPlainObject(existing)) return existing
  const created: JsonObject = {}
  obj[key] = created
  return created
}

export const asObject = (value: unknown): JsonObject | undefined => (isPlainObject(value) ? value : undefined)
export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
