// The pod-template-hash: `controller.ComputeHash` hashes the pod template (and collisionCount) with
// FNV-32a and encodes the decimal digits of the sum with `rand.SafeEncodeString`. kubectl never
// recomputes the hash, so ours need not match Go's bit for bit (Go hashes a spew dump of the struct);
// it must be deterministic per (template, collisionCount) and use the same alphabet.
import { isPlainObject } from '../json.js'
import type { PodTemplateSpec } from './api.js'

/** `k8s.io/apimachinery/pkg/util/rand` alphanums: no vowels, no confusable characters. */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** `rand.SafeEncodeString`: every character maps to `alphanums[charCode % 27]`. */
export function safeEncodeString(s: string): string {
  let out = ''
  for (const ch of s) out += SAFE_ALPHABET[(ch.codePointAt(0) ?? 0) % SAFE_ALPHABET.length]
  return out
}

/** FNV-1a, 32 bit, over bytes. */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let hash = seed
  for (const byte of bytes) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash >>> 0
}

/**
 * A JSON value reduced to its meaning, the way apimachinery's `Semantic.DeepEqual` compares Go
 * structs: absent, null, empty and zero-valued (`""`, `false`) members are all "not set", so a
 * template read back from the API (with `creationTimestamp: null`, empty maps) equals the one written.
 * Object keys come out sorted, so `JSON.stringify` of the result is canonical.
 */
export function semanticValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(semanticValue)
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const child = semanticValue(value[key])
      if (isUnset(child)) continue
      out[key] = child
    }
    return out
  }
  return value
}

function isUnset(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return true
  if (Array.isArray(value)) return value.length === 0
  if (isPlainObject(value)) return Object.keys(value).length === 0
  return false
}

/** `controller.ComputeHash(template, collisionCount)`. */
export function computePodTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  const bytes = new TextEncoder().encode(JSON.stringify(semanticValue(template ?? {})))
  let hash = fnv32a(bytes)
  if (collisionCount !== undefined) {
    // Go writes the int32 collisionCount into the hasher little-endian.
    const le = new Uint8Array(4)
    new DataView(le.buffer).setUint32(0, collisionCount >>> 0, true)
    hash = fnv32a(le, hash)
  }
  return safeEncodeString(String(hash))
}
