// Container image references: parse, validate with a reason a person can act on, and resolve what an operator
// types after `--image` (a full reference, a bare tag, or a bare digest) against the container's current image.
//
// Grammar (the Docker/OCI distribution reference grammar, written out here rather than borrowed):
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ registry "/" ] path-component ( "/" path-component )*
//   registry   := host [ ":" port ]          -- first component, only when it has a "." or ":" or is localhost
//   path-comp  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//   digest     := "sha256:" 64 lowercase hex   -- the only algorithm registries hand out in practice
// We never normalise (no implicit docker.io/library, no :latest): Kubernetes passes the string to the runtime
// verbatim, and `kubectl rollout history` should show what mkt wrote.

export interface ImageRef {
  /** `myacr.azurecr.io`, `localhost:5000`; undefined for a Docker Hub style short name. */
  registry?: string
  /** The path inside the registry: `marketplace/catalog`. */
  path: string
  /** registry + "/" + path: what the tag and digest hang off. */
  repository: string
  tag?: string
  /** `sha256:<64 hex>` */
  digest?: string
}

export type ImageCheck = { ok: true; ref: ImageRef } | { ok: false; reason: string }
export type ImageResolution = { ok: true; image: string; ref: ImageRef } | { ok: false; reason: string }

const MAX_NAME_LENGTH = 255
const MAX_TAG_LENGTH = 128
const SHA256_HEX_LENGTH = 64
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const HOST_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/
const TAG = /^[\w][\w.-]*$/

/** Renders a reference back to text: `registry/path:tag@digest`. */
export const formatImageRef = (ref: ImageRef): string =>
  `${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`

/** Validates a full image reference; never throws. */
export function checkImageRef(input: string): ImageCheck {
  if (input === '') return fail('is empty')
  if (/\s/.test(input)) return fail('contains whitespace')
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return fail('must not include a URL scheme (drop the "…://")')

  let rest = input
  let digest: string | undefined
  const at = input.indexOf('@')
  if (at !== -1) {
    if (input.indexOf('@', at + 1) !== -1) return fail('has more than one "@"')
    const digestProblem = checkDigest(input.slice(at + 1))
    if (digestProblem !== undefined) return fail(digestProblem)
    digest = input.slice(at + 1)
    rest = input.slice(0, at)
  }

  let tag: string | undefined
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1)
    const tagProblem = checkTag(tag)
    if (tagProblem !== undefined) return fail(tagProblem)
    rest = rest.slice(0, lastColon)
  }

  if (rest === '') return fail('has no repository name')
  if (rest.length > MAX_NAME_LENGTH) return fail(`repository name is longer than ${MAX_NAME_LENGTH} characters`)
  const components = rest.split('/')
  let registry: string | undefined
  if (components.length > 1 && looksLikeRegistry(components[0]!)) {
    registry = components.shift()!
    const registryProblem = checkRegistry(registry)
    if (registryProblem !== undefined) return fail(registryProblem)
  }
  for (const component of components) {
    const problem = checkPathComponent(component)
    if (problem !== undefined) return fail(problem)
  }
  const path = components.join('/')
  return { ok: true, ref: { registry, path, repository: registry === undefined ? path : `${registry}/${path}`, tag, digest } }
}

/** Like checkImageRef, but throws an Error carrying the reason (for callers that have already checked). */
export function parseImageRef(input: string): ImageRef {
  const checked = checkImageRef(input)
  if (!checked.ok) throw new Error(`invalid image reference "${input}": ${checked.reason}`)
  return checked.ref
}

/**
 * Resolves the `--image` value for one container:
 * - a bare tag (`2.0.0`: no "/", ":" or "@") → the current image's repository with that tag, so one flag works
 *   across regions whose registries differ;
 * - a bare digest (`@sha256:…`) → the current repository pinned to that digest;
 * - anything else must be a full reference, with a tag or a digest: an implicit `:latest` names no version,
 *   so neither history nor a rollback could tell releases apart.
 * `repository` (the component's configured image repository) is the fallback when there is no current image.
 */
export function resolveImage(input: string, context: { currentImage?: string; repository?: string } = {}): ImageResolution {
  const isBareTag = input !== '' && !/[/:@]/.test(input)
  const isBareDigest = input.startsWith('@')
  if (isBareTag || isBareDigest) {
    const base = context.currentImage !== undefined ? repositoryOf(context.currentImage) : context.repository
    if (base === undefined || base === '') {
      return fail(
        `"${input}" is a bare ${isBareTag ? 'tag' : 'digest'} but the container has no current image and the component no image repository; pass a full reference (registry/repository:tag)`,
      )
    }
    const resolved = isBareTag ? `${base}:${input}` : `${base}${input}`
    const checked = checkImageRef(resolved)
    if (!checked.ok) return fail(checked.reason)
    return { ok: true, image: resolved, ref: checked.ref }
  }
  const checked = checkImageRef(input)
  if (!checked.ok) return fail(checked.reason)
  if (checked.ref.tag === undefined && checked.ref.digest === undefined) {
    return fail('has no tag or digest; name the version (like repository:1.2.3), an implicit :latest cannot be rolled back to')
  }
  return { ok: true, image: input, ref: checked.ref }
}

/**
 * Validates an `--image` value before any cluster is read: a bare tag or digest by its own grammar, a full
 * reference as resolveImage would. Returns the reason it is malformed, or undefined when it is fine.
 */
export function checkImageInput(input: string): string | undefined {
  if (input === '') return 'is empty'
  if (/\s/.test(input)) return 'contains whitespace'
  if (!/[/:@]/.test(input)) return checkTag(input)
  if (input.startsWith('@')) return checkDigest(input.slice(1))
  const resolved = resolveImage(input)
  return resolved.ok ? undefined : resolved.reason
}

// Lenient readers for images already running in a cluster: they may not pass our validation, and display code
// must not fail on them.

/** The tag of an image (`repo:2.0.0@sha256:…` → `2.0.0`), undefined when it has none. Never throws. */
export function tagOf(image: string): string | undefined {
  const withoutDigest = image.split('@')[0]!
  const lastColon = withoutDigest.lastIndexOf(':')
  if (lastColon <= withoutDigest.lastIndexOf('/')) return undefined
  const tag = withoutDigest.slice(lastColon + 1)
  return tag === '' ? undefined : tag
}

/** The digest of an image, undefined when it has none. Never throws. */
export function digestOf(image: string): string | undefined {
  const at = image.indexOf('@')
  return at === -1 || at === image.length - 1 ? undefined : image.slice(at + 1)
}

/** The image without tag and digest (`reg:5000/a/b:1@sha256:…` → `reg:5000/a/b`). Never throws. */
export function repositoryOf(image: string): string {
  const withoutDigest = image.split('@')[0]!
  const lastColon = withoutDigest.lastIndexOf(':')
  return lastColon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, lastColon) : withoutDigest
}

/** A short version label for tables: the tag, else the first 12 hex of the digest, else `latest`. */
export function versionOf(image: string): string {
  const tag = tagOf(image)
  if (tag !== undefined) return tag
  const digest = digestOf(image)
  if (digest !== undefined) return digest.slice(0, digest.indexOf(':') + 13)
  return 'latest'
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason }
}

// Docker's rule: the first component names a registry only if it could not be a repository path component.
// Unlike Docker we do not also treat an uppercase first component as a registry: `MyOrg/app` is far more often
// a mistyped repository than a registry host, and "must be lowercase" is the useful answer.
const looksLikeRegistry = (component: string): boolean =>
  component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[')

function checkRegistry(registry: string): string | undefined {
  let host = registry
  let port: string | undefined
  if (registry.startsWith('[')) {
    const close = registry.indexOf(']')
    if (close === -1) return `registry "${registry}" has an unclosed "["`
    host = registry.slice(0, close + 1)
    const afterHost = registry.slice(close + 1)
    if (afterHost !== '') {
      if (!afterHost.startsWith(':')) return `registry "${registry}" is not host[:port]`
      port = afterHost.slice(1)
    }
    if (!IPV6_HOST.test(host)) return `registry host "${host}" is not a valid IPv6 address`
  } else {
    const colon = registry.indexOf(':')
    if (colon !== -1) {
      host = registry.slice(0, colon)
      port = registry.slice(colon + 1)
    }
    if (host === '') return `registry "${registry}" has no host`
    for (const label of host.split('.')) {
      if (!HOST_COMPONENT.test(label)) return `registry host "${host}" is invalid (letters, digits and "-" between dots)`
    }
  }
  return port === undefined ? undefined : checkPort(registry, port)
}

function checkPort(registry: string, port: string): string | undefined {
  if (port === '') return `registry "${registry}" has an empty port after ":"`
  if (!/^\d+$/.test(port)) return `registry port "${port}" must be a number`
  const value = Number(port)
  if (value < 1 || value > 65535) return `registry port ${port} is out of range (1-65535)`
  return undefined
}

function checkPathComponent(component: string): string | undefined {
  if (component === '') return 'has an empty path component (a leading, trailing or doubled "/")'
  if (component !== component.toLowerCase()) return `repository must be lowercase ("${component}")`
  if (!PATH_COMPONENT.test(component)) {
    return `repository path component "${component}" is invalid: use lowercase letters and digits, separated by one ".", "_", "__" or dashes`
  }
  return undefined
}

function checkTag(tag: string): string | undefined {
  if (tag === '') return 'has an empty tag after ":"'
  if (tag.length > MAX_TAG_LENGTH) return `tag is longer than ${MAX_TAG_LENGTH} characters`
  if (!/^\w/.test(tag)) return `tag "${tag}" must start with a letter, digit or "_"`
  if (!TAG.test(tag)) {
    const bad = /[^\w.-]/.exec(tag)?.[0] ?? ''
    return `tag "${tag}" contains "${bad}"; tags allow letters, digits, "_", "." and "-"`
  }
  return undefined
}

function checkDigest(digest: string): string | undefined {
  if (digest === '') return 'has an empty digest after "@"'
  const colon = digest.indexOf(':')
  if (colon === -1) return `digest "${digest}" must be algorithm:hex, like sha256:<64 hex characters>`
  const algorithm = digest.slice(0, colon)
  const hex = digest.slice(colon + 1)
  if (algorithm !== 'sha256') return `unsupported digest algorithm "${algorithm}" (use sha256)`
  if (/[A-F]/.test(hex) && /^[0-9a-fA-F]*$/.test(hex)) return 'sha256 digest must be lowercase hex'
  if (!/^[0-9a-f]*$/.test(hex)) return 'sha256 digest must be hex (0-9, a-f)'
  if (hex.length !== SHA256_HEX_LENGTH) return `sha256 digest must have ${SHA256_HEX_LENGTH} hex characters, got ${hex.length}`
  return undefined
}
