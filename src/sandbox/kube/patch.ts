// The three patch formats of the API: JSON Patch (RFC 6902), JSON Merge Patch (RFC 7386) and
// Kubernetes' strategic merge patch with its directives. Pure functions over plain JSON.
import { badRequest, StatusError } from '../errors.js'
import { cloneJson, deepEqual, isPlainObject, type JsonObject } from '../json.js'
import type { MergeSchema } from './merge-schema.js'

/** What the apiserver answers when a well-formed patch cannot be applied (422). */
export function patchNotApplicable(message: string): StatusError {
  return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message, field: '' }],
  })
}

// ---- RFC 6902 JSON Patch ----------------------------------------------------------------------

interface JsonPatchOperation {
  op: string
  path: string
  from?: string
  value?: unknown
}

/** Parses a JSON Pointer (RFC 6901) into unescaped tokens; '' is the whole document. */
function parsePointer(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw patchNotApplicable(`JSON pointer must be empty or start with a "/": ${pointer}`)
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
}

type Container = JsonObject | unknown[]

/** The parent container of a pointer's last token, or undefined when a step is missing. */
function resolveParent(doc: unknown, tokens: string[]): Container | undefined {
  let current: unknown = doc
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(token)) return undefined
      current = current[Number(token)]
    } else if (isPlainObject(current)) {
      current = current[token]
    } else {
      return undefined
    }
  }
  return Array.isArray(current) || isPlainObject(current) ? current : undefined
}

function arrayIndex(array: unknown[], token: string, allowEnd: boolean, op: string, path: string): number {
  if (token === '-' && allowEnd) return array.length
  if (!/^(0|[1-9]\d*)$/.test(token)) throw patchNotApplicable(`${op} operation does not apply: invalid index ${JSON.stringify(token)} in ${path}`)
  const index = Number(token)
  if (index > array.length || (!allowEnd && index === array.length)) throw patchNotApplicable(`${op} operation does not apply: index out of bounds: ${path}`)
  return index
}

function getAt(doc: unknown, path: string, op: string): unknown {
  const tokens = parsePointer(path)
  if (tokens.length === 0) return doc
  const parent = resolveParent(doc, tokens)
  const last = tokens[tokens.length - 1]!
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false, op, path)]
  if (parent === undefined || !Object.prototype.hasOwnProperty.call(parent, last)) {
    throw patchNotApplicable(`${op} operation does not apply: doc is missing path: ${path}`)
  }
  return parent[last]
}

function addAt(doc: unknown, path: string, value: unknown, op = 'add'): unknown {
  const tokens = parsePointer(path)
  if (tokens.length === 0) return value
  const parent = resolveParent(doc, tokens)
  const last = tokens[tokens.length - 1]!
  if (parent === undefined) throw patchNotApplicable(`${op} operation does not apply: doc is missing path: ${path}`)
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, op, path), 0, value)
  else parent[last] = value
  return doc
}

function removeAt(doc: unknown, path: string, op = 'remove'): unknown {
  const tokens = parsePointer(path)
  const parent = resolveParent(doc, tokens)
  const last = tokens[tokens.length - 1]!
  if (Array.isArray(parent)) {
    const removed = parent.splice(arrayIndex(parent, last, false, op, path), 1)
    return removed[0]
  }
  if (parent === undefined || !Object.prototype.hasOwnProperty.call(parent, last)) {
    throw patchNotApplicable(`${op} operation does not apply: doc is missing path: ${path}`)
  }
  const value = parent[last]
  delete parent[last]
  return value
}

function replaceAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path)
  if (tokens.length === 0) return value
  const parent = resolveParent(doc, tokens)
  const last = tokens[tokens.length - 1]!
  if (Array.isArray(parent)) {
    parent[arrayIndex(parent, last, false, 'replace', path)] = value
    return doc
  }
  if (parent === undefined || !Object.prototype.hasOwnProperty.call(parent, last)) {
    throw patchNotApplicable(`replace operation does not apply: doc is missing key: ${path}`)
  }
  parent[last] = value
  return doc
}

/** Validates the shape of a JSON Patch body (400 on failure, as the apiserver decodes it first). */
export function decodeJsonPatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) {
    const got = body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body === 'object' ? 'object' : typeof body
    throw badRequest(`error decoding patch: json: cannot unmarshal ${got} into Go value of type []handlers.jsonPatchOp`)
  }
  if (body.length > 10000) throw new StatusError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is 10000, got ${body.length}`)
  return body.map((op, i) => {
    if (!isPlainObject(op) || typeof op.op !== 'string') throw badRequest(`error decoding patch: operation ${i} has no "op"`)
    if (typeof op.path !== 'string') throw patchNotApplicable(`${op.op} operation does not apply: missing path`)
    return op as unknown as JsonPatchOperation
  })
}

/** Applies RFC 6902 operations to a copy of `document`. */
export function applyJsonPatch(document: unknown, operations: JsonPatchOperation[]): unknown {
  let doc = cloneJson(document)
  for (const operation of operations) {
    const { op, path } = operation
    switch (op) {
      case 'add':
        doc = addAt(doc, path, cloneJson(operation.value))
        break
      case 'remove':
        removeAt(doc, path)
        break
      case 'replace':
        doc = replaceAt(doc, path, cloneJson(operation.value))
        break
      case 'move': {
        if (operation.from === undefined) throw patchNotApplicable('move operation does not apply: missing from')
        if (path !== operation.from && path.startsWith(`${operation.from}/`)) throw patchNotApplicable(`move operation does not apply: from ${operation.from} is a prefix of path ${path}`)
        const value = removeAt(doc, operation.from, 'move')
        doc = addAt(doc, path, value, 'move')
        break
      }
      case 'copy': {
        if (operation.from === undefined) throw patchNotApplicable('copy operation does not apply: missing from')
        doc = addAt(doc, path, cloneJson(getAt(doc, operation.from, 'copy')), 'copy')
        break
      }
      case 'test':
        if (!deepEqual(getAt(doc, path, 'test'), operation.value)) throw patchNotApplicable(`testing value ${path} failed: test failed`)
        break
      default:
        throw patchNotApplicable(`Unexpected kind: ${op}`)
    }
  }
  return doc
}

// ---- RFC 7386 JSON Merge Patch ----------------------------------------------------------------

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch)
  const result: JsonObject = isPlainObject(target) ? cloneJson(target) : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = applyMergePatch(result[key], value)
  }
  return result
}

// ---- strategic merge patch --------------------------------------------------------------------

const SET_ELEMENT_ORDER = '$setElementOrder/'
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/'

/** A patch value with every directive and null removed: what a brand-new field looks like. */
function withoutDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !(isPlainObject(v) && v.$patch !== undefined && Object.keys(v).length === 1)).map(withoutDirectives)
  if (!isPlainObject(value)) return value
  const result: JsonObject = {}
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith('$') || v === null) continue
    result[key] = withoutDirectives(v)
  }
  return result
}

function describeMap(value: JsonObject): string {
  return `map[${Object.entries(value).map(([k, v]) => `${k}:${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ')}]`
}

function sameKey(item: unknown, mergeKey: string, key: unknown): boolean {
  return isPlainObject(item) && deepEqual(item[mergeKey], key)
}

/** Orders `list` as `$setElementOrder` says; items it does not mention keep their relative order, after. */
function reorder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (item: unknown): unknown => (mergeKey !== undefined && isPlainObject(item) ? item[mergeKey] : item)
  const orderKeys = order.map(keyOf)
  const positioned: { item: unknown; rank: number }[] = []
  const rest: unknown[] = []
  for (const item of list) {
    const rank = orderKeys.findIndex((k) => deepEqual(k, keyOf(item)))
    if (rank >= 0) positioned.push({ item, rank })
    else rest.push(item)
  }
  positioned.sort((a, b) => a.rank - b.rank)
  return [...positioned.map((p) => p.item), ...rest]
}

function mergeList(original: unknown, patch: unknown[], schema: MergeSchema | undefined, field: string): unknown[] {
  const mergeKey = schema?.mergeKey
  if (mergeKey !== undefined) {
    if (patch.some((item) => isPlainObject(item) && item.$patch === 'replace')) return withoutDirectives(patch) as unknown[]
    const result = Array.isArray(original) ? cloneJson(original) : []
    for (const item of patch) {
      if (!isPlainObject(item)) throw badRequest(`unable to find api field in struct for the list ${field}: ${JSON.stringify(item)} is not a map`)
      if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) {
        throw badRequest(`${describeMap(item)} does not contain declared merge key: ${mergeKey}`)
      }
      const index = result.findIndex((existing) => sameKey(existing, mergeKey, item[mergeKey]))
      if (item.$patch === 'delete') {
        if (index >= 0) result.splice(index, 1)
        continue
      }
      if (index >= 0) result[index] = mergeObject(result[index] as JsonObject, item, schema?.items)
      else result.push(mergeObject(undefined, item, schema?.items))
    }
    return result
  }
  if (schema?.setMerge) {
    const result = Array.isArray(original) ? cloneJson(original) : []
    for (const value of patch) if (!result.some((existing) => deepEqual(existing, value))) result.push(cloneJson(value))
    return result
  }
  return withoutDirectives(patch) as unknown[]
}

/** Merges a strategic merge patch map into `original` (undefined = the field did not exist). */
function mergeObject(original: JsonObject | undefined, patch: JsonObject, schema: MergeSchema | undefined): JsonObject {
  if (patch.$patch === 'replace') return withoutDirectives(patch) as JsonObject
  const result: JsonObject = original === undefined ? {} : cloneJson(original)
  const orders: [string, unknown[]][] = []
  const deletions: [string, unknown[]][] = []
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(SET_ELEMENT_ORDER)) {
      if (Array.isArray(value)) orders.push([key.slice(SET_ELEMENT_ORDER.length), value])
      continue
    }
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      if (Array.isArray(value)) deletions.push([key.slice(DELETE_FROM_PRIMITIVE_LIST.length), value])
      continue
    }
    if (key === '$patch' || key === '$retainKeys') continue
    if (key.startsWith('$')) throw badRequest(`unknown patch directive ${key}`)
    const fieldSchema = schema?.fields?.[key]
    if (value === null) {
      delete result[key]
    } else if (isPlainObject(value)) {
      if (value.$patch === 'delete') delete result[key]
      else result[key] = mergeObject(isPlainObject(result[key]) ? result[key] : undefined, value, fieldSchema)
    } else if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, fieldSchema, key)
    } else {
      result[key] = value
    }
  }
  for (const [field, values] of deletions) {
    const list = result[field]
    if (Array.isArray(list)) result[field] = list.filter((v) => !values.some((d) => deepEqual(d, v)))
  }
  for (const [field, order] of orders) {
    const list = result[field]
    if (Array.isArray(list)) result[field] = reorder(list, order, schema?.fields?.[field]?.mergeKey)
  }
  const retainKeys = patch.$retainKeys
  if (Array.isArray(retainKeys)) {
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key]
  }
  return result
}

/** Applies a strategic merge patch (SMP) to a copy of `original`, merging lists as `schema` says. */
export function applyStrategicMergePatch(original: JsonObject, patch: unknown, schema: MergeSchema): JsonObject {
  if (!isPlainObject(patch)) throw badRequest(`error decoding patch: json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`)
  return mergeObject(original, patch, schema)
}
