// A minimal server-side apply: field sets in the FieldsV1 format (`f:spec`, `k:{"name":"web"}`,
// `v:"x"`, `.`), metadata.managedFields bookkeeping per manager, and removal of fields a manager
// applied before and no longer applies (when no other manager owns them). Ownership conflicts are
// not detected: an apply always wins, as if `force=true`.
import { cloneJson, deepEqual, isPlainObject, type JsonObject } from '../json.js'
import type { KubeObject } from '../types.js'
import type { MergeSchema } from './merge-schema.js'
import { applyStrategicMergePatch } from './patch.js'

/** A FieldsV1 tree: `{}` marks an owned leaf; `.` inside a list item marks the item itself. */
export type FieldSet = { [element: string]: FieldSet }

export interface ManagedFieldsEntry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time: string
  fieldsType: 'FieldsV1'
  fieldsV1: FieldSet
  subresource?: string
}

/** Metadata members the server owns; they never appear in field sets. */
const SERVER_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'])

function fieldsOfObject(value: JsonObject, schema: MergeSchema | undefined, atMetadata = false): FieldSet {
  const set: FieldSet = {}
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined || (atMetadata && SERVER_METADATA.has(key))) continue
    const memberSchema = schema?.fields?.[key]
    const element = `f:${key}`
    if (isPlainObject(member) && Object.keys(member).length > 0) {
      set[element] = fieldsOfObject(member, memberSchema)
    } else if (Array.isArray(member) && memberSchema?.mergeKey !== undefined) {
      const items: FieldSet = {}
      for (const item of member) {
        if (!isPlainObject(item)) continue
        items[`k:${JSON.stringify({ [memberSchema.mergeKey]: item[memberSchema.mergeKey] })}`] = { '.': {}, ...fieldsOfObject(item, memberSchema.items) }
      }
      set[element] = items
    } else if (Array.isArray(member) && memberSchema?.setMerge) {
      set[element] = Object.fromEntries(member.map((v) => [`v:${JSON.stringify(v)}`, {}]))
    } else {
      set[element] = {}
    }
  }
  return set
}

/** The fields an object (or a partial one) sets, excluding apiVersion/kind and server-owned metadata. */
export function fieldSetOf(object: JsonObject, schema: MergeSchema): FieldSet {
  const set: FieldSet = {}
  for (const [key, member] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || member === undefined) continue
    if (key === 'metadata' && isPlainObject(member)) {
      const meta = fieldsOfObject(member, schema.fields?.metadata, true)
      if (Object.keys(meta).length > 0) set['f:metadata'] = meta
      continue
    }
    Object.assign(set, fieldsOfObject({ [key]: member }, schema))
  }
  return set
}

/** Every path to an owned leaf (a `{}` node or a `.` marker). */
export function leafPaths(set: FieldSet, prefix: string[] = []): string[][] {
  const paths: string[][] = []
  for (const [element, child] of Object.entries(set)) {
    const path = [...prefix, element]
    if (Object.keys(child).length === 0) paths.push(path)
    else paths.push(...leafPaths(child, path))
  }
  return paths
}

function containsPath(set: FieldSet, path: string[]): boolean {
  let node: FieldSet | undefined = set
  for (const element of path) {
    node = node?.[element]
    if (node === undefined) return false
  }
  return true
}

export function unionFieldSets(a: FieldSet, b: FieldSet): FieldSet {
  const result: FieldSet = cloneJson(a)
  for (const [element, child] of Object.entries(b)) result[element] = result[element] === undefined ? cloneJson(child) : unionFieldSets(result[element]!, child)
  return result
}

/** Removes the value at a field path from `object` (in place); a `.` removes the list item itself. */
function removeFieldPath(object: JsonObject, path: string[]): void {
  let node: unknown = object
  for (let i = 0; i < path.length; i++) {
    const element = path[i]!
    const isLast = i === path.length - 1
    const nextIsDot = path[i + 1] === '.'
    if (element.startsWith('f:')) {
      if (!isPlainObject(node)) return
      const key = element.slice(2)
      if (isLast) {
        delete node[key]
        return
      }
      node = node[key]
    } else if (element.startsWith('k:')) {
      if (!Array.isArray(node)) return
      const key = JSON.parse(element.slice(2)) as JsonObject
      const index = node.findIndex((item) => isPlainObject(item) && Object.entries(key).every(([k, v]) => deepEqual(item[k], v)))
      if (index < 0) return
      if (nextIsDot) {
        node.splice(index, 1)
        return
      }
      node = node[index]
    } else if (element.startsWith('v:')) {
      if (!Array.isArray(node)) return
      const value: unknown = JSON.parse(element.slice(2))
      const index = node.findIndex((item) => deepEqual(item, value))
      if (index >= 0) node.splice(index, 1)
      return
    } else {
      return
    }
  }
}

/** Drops empty maps and lists left behind by removals (applied `labels` that lost their last key). */
function pruneEmpty(value: JsonObject, set: FieldSet): void {
  for (const [element, child] of Object.entries(set)) {
    if (!element.startsWith('f:')) continue
    const key = element.slice(2)
    const member = value[key]
    if (isPlainObject(member)) {
      pruneEmpty(member, child)
      if (Object.keys(member).length === 0 && Object.keys(child).length > 0) delete value[key]
    } else if (Array.isArray(member) && member.length === 0 && Object.keys(child).length > 0) {
      delete value[key]
    }
  }
}

function entriesOf(object: KubeObject | undefined): ManagedFieldsEntry[] {
  const entries = object?.metadata.managedFields
  return Array.isArray(entries) ? (cloneJson(entries) as ManagedFieldsEntry[]) : []
}

/**
 * Server-side apply of `applied` by `manager` onto `live` (undefined = create). Returns the new
 * object with metadata.managedFields updated; the caller stores it.
 */
export function serverSideApply(live: KubeObject | undefined, applied: KubeObject, manager: string, schema: MergeSchema, time: string): KubeObject {
  const entries = entriesOf(live)
  const appliedSet = fieldSetOf(applied, schema)
  const previous = entries.find((e) => e.manager === manager && e.operation === 'Apply' && e.subresource === undefined)
  const base: JsonObject = live === undefined ? {} : cloneJson(live)
  if (previous !== undefined) {
    const others = entries.filter((e) => e !== previous)
    for (const path of leafPaths(previous.fieldsV1)) {
      if (containsPath(appliedSet, path) || others.some((e) => containsPath(e.fieldsV1, path))) continue
      removeFieldPath(base, path)
    }
    pruneEmpty(base, previous.fieldsV1)
  }
  const merged = applyStrategicMergePatch(base, withoutManagedFields(applied), schema) as KubeObject
  const changed = live === undefined || !deepEqual(stripManaged(merged), stripManaged(live))
  const ownsSame = previous !== undefined && deepEqual(previous.fieldsV1, appliedSet)
  const nextEntries = entries.filter((e) => e !== previous)
  const apiVersion = applied.apiVersion
  // A no-op apply keeps the old timestamp, so it does not produce a write.
  const entry: ManagedFieldsEntry = { manager, operation: 'Apply', apiVersion, time: changed || !ownsSame || previous === undefined ? time : previous.time, fieldsType: 'FieldsV1', fieldsV1: appliedSet }
  merged.metadata.managedFields = [...nextEntries, entry]
  return merged
}

function withoutManagedFields(object: KubeObject): JsonObject {
  const copy = cloneJson(object) as JsonObject & KubeObject
  delete copy.metadata.managedFields
  return copy
}

function stripManaged(object: KubeObject): JsonObject {
  const copy = withoutManagedFields(object) as KubeObject
  delete copy.metadata.resourceVersion
  return copy
}

/** The part of `after` that differs from `before` (changed keyed-list items keep their key). */
export function changedSubset(before: unknown, after: unknown, schema: MergeSchema | undefined): unknown {
  if (deepEqual(before, after)) return undefined
  if (isPlainObject(after) && isPlainObject(before)) {
    const result: JsonObject = {}
    for (const [key, value] of Object.entries(after)) {
      const sub = changedSubset(before[key], value, schema?.fields?.[key])
      if (sub !== undefined) result[key] = sub
    }
    return Object.keys(result).length > 0 ? result : undefined
  }
  if (Array.isArray(after) && Array.isArray(before) && schema?.mergeKey !== undefined) {
    const key = schema.mergeKey
    const items = after.filter((item) => !before.some((old) => deepEqual(old, item)))
    return items.length > 0 ? items.map((item) => (isPlainObject(item) ? { ...(changedSubset(before.find((old) => isPlainObject(old) && deepEqual(old[key], item[key])), item, schema.items) as JsonObject), [key]: item[key] } : item)) : undefined
  }
  return after
}

/**
 * Records a non-apply write (create, update, patch) by `manager`: its Update entry gains the fields
 * the write changed. Returns the managedFields for the new object.
 */
export function recordUpdate(before: KubeObject | undefined, after: KubeObject, manager: string, schema: MergeSchema, time: string, subresource?: string): ManagedFieldsEntry[] | undefined {
  const entries = entriesOf(before ?? after)
  // A spec write cannot change status (and a status write nothing else), so only that part is owned.
  const relevant = (object: KubeObject): JsonObject => {
    const stripped = stripManaged(object)
    if (subresource === 'status') return { status: stripped.status }
    delete stripped.status
    return stripped
  }
  const changed = changedSubset(before === undefined ? {} : relevant(before), relevant(after), schema)
  if (!isPlainObject(changed)) return before?.metadata.managedFields as ManagedFieldsEntry[] | undefined
  const changedSet = fieldSetOf(changed, schema)
  if (Object.keys(changedSet).length === 0) return before?.metadata.managedFields as ManagedFieldsEntry[] | undefined
  const index = entries.findIndex((e) => e.manager === manager && e.operation === 'Update' && e.subresource === subresource)
  const entry: ManagedFieldsEntry = {
    manager,
    operation: 'Update',
    apiVersion: after.apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: index >= 0 ? unionFieldSets(entries[index]!.fieldsV1, changedSet) : changedSet,
  }
  if (subresource !== undefined) entry.subresource = subresource
  if (index >= 0) entries.splice(index, 1)
  entries.push(entry)
  return entries
}
