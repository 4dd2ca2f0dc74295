// The sandbox Key Vault's pure model: versions, attributes, soft delete, recover, purge, the
// 90-day purge, backup/restore, validation (never quoting values) and keyset paging.
import { describe, expect, it } from 'vitest'
import {
  KeyVaultError,
  MAX_PAGE_SIZE,
  MAX_VALUE_BYTES,
  pageOf,
  parseDocument,
  parseMaxResults,
  parseSetBody,
  parseUpdateBody,
  SecretStore,
} from '../../src/sandbox/keyvault/store.js'

const DAY_MS = 24 * 3600 * 1000

function newStore(start = Date.UTC(2026, 0, 1)): { store: SecretStore; clock: { now: number } } {
  const clock = { now: start }
  let n = 0
  const store = new SecretStore({ now: () => clock.now, newVersion: () => (++n).toString(16).padStart(32, '0') })
  return { store, clock }
}

function thrown(call: () => unknown): KeyVaultError {
  try {
    call()
  } catch (error) {
    expect(error).toBeInstanceOf(KeyVaultError)
    return error as KeyVaultError
  }
  throw new Error('expected a KeyVaultError')
}

describe('SecretStore', () => {
  it('set makes a new version each time; get returns the latest or the one asked for', () => {
    const { store, clock } = newStore()
    const first = store.set('Catalog--Db', { value: 'one', contentType: 'text/plain', tags: { owner: 'catalog' } })
    clock.now += 5000
    const second = store.set('catalog--db', { value: 'two', attributes: { expires: 2_000_000_000 } })
    expect(first.version.version).toMatch(/^[0-9a-f]{32}$/)
    expect(second.version.version).not.toBe(first.version.version)
    expect(second.name).toBe('Catalog--Db') // names are case-insensitive; the first spelling stays
    expect(store.get('CATALOG--DB').version).toMatchObject({ value: 'two', expires: 2_000_000_000, enabled: true })
    expect(store.get('catalog--db', first.version.version).version).toMatchObject({ value: 'one', contentType: 'text/plain', tags: { owner: 'catalog' } })
    expect(first.version.created).toBe(Math.floor(Date.UTC(2026, 0, 1) / 1000))
    expect(store.listVersions('catalog--db').map((v) => v.version.version)).toEqual([first.version.version, second.version.version])
    expect(store.stats).toEqual({ writes: 2, versionsCreated: 2 })
  })

  it('missing secrets and versions are 404 SecretNotFound; bad names are 400', () => {
    const { store } = newStore()
    store.set('a', { value: 'x' })
    expect(thrown(() => store.get('b'))).toMatchObject({ status: 404, code: 'SecretNotFound' })
    expect(thrown(() => store.get('a', 'f'.repeat(32)))).toMatchObject({ status: 404, code: 'SecretNotFound' })
    expect(thrown(() => store.set('bad_name', { value: 'x' }))).toMatchObject({ status: 400, code: 'BadParameter' })
    expect(thrown(() => store.set('x'.repeat(128), { value: 'x' }))).toMatchObject({ status: 400 })
    expect(store.listVersions('nothing')).toEqual([])
  })

  it('update replaces only the fields given and bumps updated; a disabled version is 403 on get', () => {
    const { store, clock } = newStore()
    const set = store.set('s', { value: 'v', contentType: 'a', tags: { k: 'v' } })
    clock.now += 10_000
    const updated = store.update('s', set.version.version, { attributes: { enabled: false } })
    expect(updated.version).toMatchObject({ contentType: 'a', tags: { k: 'v' }, enabled: false, created: set.version.created, updated: set.version.created + 10 })
    expect(thrown(() => store.get('s'))).toMatchObject({ status: 403, code: 'Forbidden', innerCode: 'SecretDisabled' })
    store.update('s', undefined, { tags: {}, attributes: { enabled: true } })
    expect(store.get('s').version.tags).toEqual({})
    expect(store.stats).toEqual({ writes: 3, versionsCreated: 1 })
  })

  it('lists secrets by name with their current version, without deleted ones', () => {
    const { store } = newStore()
    for (const name of ['b', 'A', 'c']) store.set(name, { value: name })
    store.set('b', { value: 'b2' })
    store.delete('c')
    expect(store.list().map((s) => [s.name, s.version.value])).toEqual([
      ['A', 'A'],
      ['b', 'b2'],
    ])
    expect(store.listDeleted().map((s) => s.name)).toEqual(['c'])
  })

  it('soft delete: hidden, 409 ObjectIsDeletedButRecoverable on set, recover brings every version back', () => {
    const { store, clock } = newStore()
    const v1 = store.set('s', { value: 'one' })
    store.set('s', { value: 'two' })
    const deleted = store.delete('s')
    expect(deleted.deleted!.scheduledPurgeDate - deleted.deleted!.deletedDate).toBe(90 * 24 * 3600)
    expect(thrown(() => store.get('s'))).toMatchObject({ status: 404, code: 'SecretNotFound' })
    expect(thrown(() => store.delete('s'))).toMatchObject({ status: 404 })
    const conflict = thrown(() => store.set('S', { value: 'never-echoed' }))
    expect(conflict).toMatchObject({ status: 409, code: 'Conflict', innerCode: 'ObjectIsDeletedButRecoverable' })
    expect(conflict.toBody().error.innererror).toEqual({ code: 'ObjectIsDeletedButRecoverable' })
    expect(JSON.stringify(conflict.toBody())).not.toContain('never-echoed')
    expect(store.getDeleted('s').version.value).toBe('two')
    clock.now += 1000
    expect(store.recover('s').version.value).toBe('two')
    expect(store.get('s', v1.version.version).version.value).toBe('one')
    expect(thrown(() => store.recover('s'))).toMatchObject({ status: 404 })
    expect(thrown(() => store.getDeleted('s'))).toMatchObject({ status: 404 })
  })

  it('purge frees the name; deleted secrets past their scheduled purge date disappear', () => {
    const { store, clock } = newStore()
    store.set('s', { value: 'one' })
    expect(thrown(() => store.purge('s'))).toMatchObject({ status: 404 }) // only deleted secrets can be purged
    store.delete('s')
    store.purge('s')
    expect(store.listDeleted()).toEqual([])
    expect(store.set('s', { value: 'again' }).version.value).toBe('again')
    expect(store.listVersions('s')).toHaveLength(1)

    store.set('t', { value: 't' })
    store.delete('t')
    const before = store.revision
    clock.now += 89 * DAY_MS
    expect(store.getDeleted('t').name).toBe('t')
    clock.now += 2 * DAY_MS
    expect(store.listDeleted()).toEqual([])
    expect(store.revision).toBe(before + 1) // the purge is a change to persist
    expect(store.set('t', { value: 'new' }).version.value).toBe('new')
  })

  it('backup and restore keep every version; restore needs a free name', () => {
    const { store } = newStore()
    store.set('s', { value: 'one' })
    store.set('s', { value: 'two', tags: { a: 'b' } })
    const backup = store.backup('s')
    expect(thrown(() => store.restore(backup))).toMatchObject({ status: 409, code: 'Conflict' })
    store.delete('s')
    expect(thrown(() => store.restore(backup))).toMatchObject({ status: 409, innerCode: 'ObjectIsDeletedButRecoverable' })
    store.purge('s')
    expect(store.restore(backup).version.tags).toEqual({ a: 'b' })
    expect(store.listVersions('s').map((v) => v.version.value)).toEqual(['one', 'two'])
  })

  it('round-trips through its document, and rejects a bad document without quoting it', () => {
    const { store } = newStore()
    store.set('s', { value: 'secret-value' })
    store.set('d', { value: 'x' })
    store.delete('d')
    const copy = new SecretStore({ now: () => Date.UTC(2026, 0, 2), document: parseDocument(JSON.parse(JSON.stringify(store.toDocument()))) })
    expect(copy.get('s').version.value).toBe('secret-value')
    expect(copy.listDeleted().map((s) => s.name)).toEqual(['d'])
    const broken = { version: 1, secrets: [{ name: 's', versions: [{ version: 'nothex', value: 'secret-value' }] }] }
    expect(() => parseDocument(broken, 'keyvault.json')).toThrow(/keyvault.json is invalid at secrets\.0\.versions\.0/)
    try {
      parseDocument(broken)
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-value')
    }
  })
})

describe('request bodies', () => {
  it('set: value required, 25 KB limit, tags, attributes; messages never quote the value', () => {
    expect(parseSetBody({ value: 'v', contentType: 'text/plain', tags: { a: 'b' }, attributes: { enabled: false, nbf: 1, exp: 2 } })).toEqual({
      value: 'v',
      contentType: 'text/plain',
      tags: { a: 'b' },
      attributes: { enabled: false, notBefore: 1, expires: 2 },
    })
    expect(parseSetBody({ value: 'v', attributes: {} })).toEqual({ value: 'v', attributes: {} })
    const canary = 'canary-7f3a'
    const failures = [
      () => parseSetBody({ value: 42 }),
      () => parseSetBody({ value: canary, tags: { a: 1 } }),
      () => parseSetBody({ value: canary, tags: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, canary])) }),
      () => parseSetBody({ value: canary, attributes: { enabled: canary } }),
      () => parseSetBody({ value: canary, attributes: { exp: 1.5 } }),
      () => parseSetBody({ value: canary.repeat(MAX_VALUE_BYTES) }),
      () => parseSetBody([canary]),
    ]
    for (const failure of failures) {
      const error = thrown(failure)
      expect(error).toMatchObject({ status: 400, code: 'BadParameter' })
      expect(error.message).not.toContain(canary)
    }
  })

  it('update: only the fields present', () => {
    expect(parseUpdateBody({ attributes: { enabled: true } })).toEqual({ attributes: { enabled: true } })
    expect(parseUpdateBody({ contentType: 'x', tags: { a: 'b' } })).toEqual({ contentType: 'x', tags: { a: 'b' } })
    expect(parseUpdateBody({})).toEqual({})
  })
})

describe('paging', () => {
  const items = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`)

  it('serves pages of maxresults with a skip token until the end', () => {
    const pages: string[][] = []
    let token: string | undefined
    do {
      const page = pageOf(items, (k) => k, { skipToken: token, maxResults: 5 })
      pages.push(page.items)
      token = page.skipToken
    } while (token !== undefined)
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2])
    expect(pages.flat()).toEqual(items)
    expect(pageOf(items, (k) => k, { maxResults: 12 }).skipToken).toBeUndefined()
    expect(pageOf([], (k: string) => k, { maxResults: 5 })).toEqual({ items: [] })
  })

  it('continues after the last key served even when it was removed', () => {
    const first = pageOf(items, (k) => k, { maxResults: 3 })
    const without = items.filter((k) => k !== 'k02')
    expect(pageOf(without, (k) => k, { skipToken: first.skipToken, maxResults: 3 }).items).toEqual(['k03', 'k04', 'k05'])
    expect(() => pageOf(items, (k) => k, { skipToken: 'garbage', maxResults: 3 })).toThrow(KeyVaultError)
  })

  it('maxresults: 1..25, default 25', () => {
    expect(parseMaxResults(null)).toBe(MAX_PAGE_SIZE)
    expect(parseMaxResults('7')).toBe(7)
    for (const bad of ['0', '26', 'x', '2.5']) expect(() => parseMaxResults(bad)).toThrow(KeyVaultError)
  })
})
