import { describe, expect, it } from 'vitest'
import {
  checkImageInput,
  checkImageRef,
  digestOf,
  formatImageRef,
  parseImageRef,
  repositoryOf,
  resolveImage,
  tagOf,
  versionOf,
} from '../../src/rollout/image.js'

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`
const reasonOf = (input: string): string => {
  const checked = checkImageRef(input)
  if (checked.ok) throw new Error(`expected "${input}" to be rejected`)
  return checked.reason
}

describe('checkImageRef: valid references', () => {
  it.each([
    ['nginx:1.27', { path: 'nginx', repository: 'nginx', tag: '1.27' }],
    ['mktacr.azurecr.io/marketplace-catalog-service:2.0.0', { registry: 'mktacr.azurecr.io', path: 'marketplace-catalog-service', tag: '2.0.0' }],
    ['localhost:5000/team/catalog:v2', { registry: 'localhost:5000', path: 'team/catalog', repository: 'localhost:5000/team/catalog', tag: 'v2' }],
    ['registry.internal:443/a/b/c:latest', { registry: 'registry.internal:443', path: 'a/b/c', tag: 'latest' }],
    [`catalog@${DIGEST}`, { path: 'catalog', digest: DIGEST, tag: undefined }],
    [`mktacr.azurecr.io/catalog:2.0.0@${DIGEST}`, { registry: 'mktacr.azurecr.io', path: 'catalog', tag: '2.0.0', digest: DIGEST }],
    ['[::1]:5000/catalog:1', { registry: '[::1]:5000', path: 'catalog', tag: '1' }],
    ['my_org/asset__version-service:1.0.0-rc.1_build', { path: 'my_org/asset__version-service', tag: '1.0.0-rc.1_build' }],
    ['org/app', { path: 'org/app', tag: undefined, digest: undefined }],
  ])('%s', (input, expected) => {
    const checked = checkImageRef(input)
    expect(checked.ok).toBe(true)
    if (checked.ok) {
      expect(checked.ref).toMatchObject(expected)
      expect(formatImageRef(checked.ref)).toBe(input)
    }
  })

  it('reads a port as part of the registry, not as a tag', () => {
    const ref = parseImageRef('registry.local:5000/catalog')
    expect(ref.registry).toBe('registry.local:5000')
    expect(ref.tag).toBeUndefined()
  })
})

describe('checkImageRef: precise reasons', () => {
  it.each([
    ['', 'is empty'],
    ['catalog :1', 'contains whitespace'],
    ['https://mktacr.azurecr.io/catalog:1', 'must not include a URL scheme (drop the "…://")'],
    ['Catalog:1.0', 'repository must be lowercase ("Catalog")'],
    ['mktacr.azurecr.io/MyOrg/catalog:1', 'repository must be lowercase ("MyOrg")'],
    ['catalog:', 'has an empty tag after ":"'],
    ['catalog:-rc', 'tag "-rc" must start with a letter, digit or "_"'],
    ['catalog:1+build', 'tag "1+build" contains "+"; tags allow letters, digits, "_", "." and "-"'],
    [`catalog:${'a'.repeat(129)}`, 'tag is longer than 128 characters'],
    ['catalog@', 'has an empty digest after "@"'],
    ['catalog@sha256', 'digest "sha256" must be algorithm:hex, like sha256:<64 hex characters>'],
    [`catalog@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm "md5" (use sha256)'],
    [`catalog@sha256:${'a'.repeat(63)}`, 'sha256 digest must have 64 hex characters, got 63'],
    [`catalog@sha256:${'A'.repeat(64)}`, 'sha256 digest must be lowercase hex'],
    [`catalog@sha256:${'g'.repeat(64)}`, 'sha256 digest must be hex (0-9, a-f)'],
    [`a@${DIGEST}@${DIGEST}`, 'has more than one "@"'],
    ['registry.local:abc/catalog:1', 'registry port "abc" must be a number'],
    ['registry.local:70000/catalog:1', 'registry port 70000 is out of range (1-65535)'],
    ['registry.local:/catalog:1', 'registry "registry.local:" has an empty port after ":"'],
    ['-bad.example.com/catalog:1', 'registry host "-bad.example.com" is invalid (letters, digits and "-" between dots)'],
    ['mktacr.azurecr.io//catalog:1', 'has an empty path component (a leading, trailing or doubled "/")'],
    ['catalog/:1', 'has an empty path component (a leading, trailing or doubled "/")'],
    ['cat..alog:1', 'repository path component "cat..alog" is invalid: use lowercase letters and digits, separated by one ".", "_", "__" or dashes'],
    ['cat___alog:1', 'repository path component "cat___alog" is invalid: use lowercase letters and digits, separated by one ".", "_", "__" or dashes'],
    [':1.0', 'has no repository name'],
    [`${'a'.repeat(256)}:1`, 'repository name is longer than 255 characters'],
  ])('%j → %s', (input, reason) => {
    expect(reasonOf(input)).toBe(reason)
  })

  it('parseImageRef throws with the reference and the reason', () => {
    expect(() => parseImageRef('Catalog:1')).toThrow('invalid image reference "Catalog:1": repository must be lowercase ("Catalog")')
  })
})

describe('resolveImage', () => {
  const current = 'mktacr.azurecr.io/marketplace-catalog-service:1.4.0'

  it('resolves a bare tag against the current repository', () => {
    expect(resolveImage('2.0.0', { currentImage: current })).toMatchObject({ ok: true, image: 'mktacr.azurecr.io/marketplace-catalog-service:2.0.0' })
  })

  it('drops the current digest when resolving a bare tag', () => {
    const pinned = `localhost:5000/catalog:1.0@${DIGEST}`
    expect(resolveImage('2.0.0', { currentImage: pinned })).toMatchObject({ ok: true, image: 'localhost:5000/catalog:2.0.0' })
  })

  it('resolves a bare digest against the current repository', () => {
    expect(resolveImage(`@${DIGEST}`, { currentImage: current })).toMatchObject({
      ok: true,
      image: `mktacr.azurecr.io/marketplace-catalog-service@${DIGEST}`,
    })
  })

  it('falls back to the component repository, and says when there is none', () => {
    expect(resolveImage('2.0.0', { repository: 'mktacr.azurecr.io/catalog' })).toMatchObject({ ok: true, image: 'mktacr.azurecr.io/catalog:2.0.0' })
    const none = resolveImage('2.0.0')
    expect(none.ok).toBe(false)
    if (!none.ok) expect(none.reason).toContain('is a bare tag but the container has no current image')
  })

  it('keeps a full reference as given, and refuses one without tag or digest', () => {
    expect(resolveImage('other.azurecr.io/catalog:3.0.0', { currentImage: current })).toMatchObject({ ok: true, image: 'other.azurecr.io/catalog:3.0.0' })
    const untagged = resolveImage('mktacr.azurecr.io/catalog', { currentImage: current })
    expect(untagged).toEqual({
      ok: false,
      reason: 'has no tag or digest; name the version (like repository:1.2.3), an implicit :latest cannot be rolled back to',
    })
  })

  it('reports a malformed bare tag', () => {
    expect(resolveImage('-rc1', { currentImage: current })).toEqual({ ok: false, reason: 'tag "-rc1" must start with a letter, digit or "_"' })
  })
})

describe('checkImageInput (before any cluster is read)', () => {
  it.each([
    ['2.0.0', undefined],
    [`@${DIGEST}`, undefined],
    ['mktacr.azurecr.io/catalog:2.0.0', undefined],
    ['-rc1', 'tag "-rc1" must start with a letter, digit or "_"'],
    ['@sha256:abc', 'sha256 digest must have 64 hex characters, got 3'],
    ['Catalog:2', 'repository must be lowercase ("Catalog")'],
    ['mktacr.azurecr.io/catalog', 'has no tag or digest; name the version (like repository:1.2.3), an implicit :latest cannot be rolled back to'],
    ['2.0.0 ', 'contains whitespace'],
  ])('%j', (input, reason) => {
    expect(checkImageInput(input)).toBe(reason)
  })
})

describe('lenient readers', () => {
  it.each([
    ['nginx:1.27', '1.27', undefined, 'nginx', '1.27'],
    ['localhost:5000/catalog', undefined, undefined, 'localhost:5000/catalog', 'latest'],
    ['localhost:5000/catalog:2.0.0', '2.0.0', undefined, 'localhost:5000/catalog', '2.0.0'],
    [`catalog@${DIGEST}`, undefined, DIGEST, 'catalog', 'sha256:0123456789ab'],
    [`r.io:443/catalog:2.0.0@${DIGEST}`, '2.0.0', DIGEST, 'r.io:443/catalog', '2.0.0'],
    ['catalog:', undefined, undefined, 'catalog', 'latest'],
  ])('%s', (image, tag, digest, repository, version) => {
    expect(tagOf(image)).toBe(tag)
    expect(digestOf(image)).toBe(digest)
    expect(repositoryOf(image)).toBe(repository)
    expect(versionOf(image)).toBe(version)
  })
})
