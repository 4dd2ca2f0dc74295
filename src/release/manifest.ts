// release.yaml: what one release changes in an environment — the images of the components it names (the others
// keep what they run), the migrations that go first, the configuration it pushes, and how each component rolls.
// Validated with zod (exit 65 naming file, line and field); its JSON Schema is published as
// schemas/release.schema.json for editors.
import { createHash } from 'node:crypto'
import { dirname, isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { DurationError, parseDuration } from '../duration.js'
import { invalidInputError } from '../errors.js'
import { readInputFile } from '../input-file.js'
import { resolveComponent } from '../platform/components.js'
import type { Component, Platform } from '../platform/schema.js'
import { checkImageInput } from '../rollout/image.js'
import { normalizeCanarySteps } from '../rollout/plan.js'
import { parseYamlInput } from '../yaml-input.js'

const duration = z.string().describe('A duration like 30s, 5m or 1m30s')

const strategySchema = z
  .object({
    type: z.enum(['rolling', 'canary']).default('rolling').describe('rolling: the Deployment rolling update; canary: replica-count steps'),
    steps: z.array(z.number().int().min(1).max(100)).optional().describe('Canary weights in percent, ascending (100 is added when missing); default 25, 50, 100'),
    bake: duration.optional().describe('How long every gate must hold before a step passes (default: the release bake)'),
  })
  .strict()

const componentEntrySchema = z
  .object({
    image: z.string().min(1).describe('A full image reference, or a bare tag (2.0.0) / @sha256:digest for the repository the component runs now'),
    strategy: strategySchema.optional(),
  })
  .strict()

const migrationsSchema = z
  .object({
    sql: z.string().min(1).optional().describe('Directory of versioned SQL files (V001__name.sql …), relative to release.yaml; the SQL runner (mkt migrate run --sql)'),
    to: z.number().int().min(1).optional().describe('With sql: stop at this version'),
    image: z.string().min(1).optional().describe('Migrations image run as a Kubernetes Job in the primary region (mkt migrate run --image)'),
    timeout: duration.optional().describe('With image: how long the Job may run (default 15m)'),
    jobTemplate: z.string().min(1).optional().describe('With image: the Job manifest, relative to release.yaml (default: migration-job.yaml beside mkt.yaml, else the built-in one)'),
  })
  .strict()
  .refine((m) => (m.sql === undefined) !== (m.image === undefined), { message: 'give exactly one of sql (a directory of SQL files) or image (a migrations Job image)' })

const configurationSchema = z
  .object({
    components: z.array(z.string()).optional().describe('Components whose configuration is pushed (names or aliases; default: every component of the release)'),
    restart: z.boolean().default(true).describe('Roll the pods of each pushed component that lacks this configuration, in its wave, through the gates (mkt config push --restart)'),
    dir: z.string().optional().describe('Configuration folder, relative to release.yaml (default: config/ beside mkt.yaml, else the built-in examples)'),
  })
  .strict()

export const releaseManifestSchema = z
  .object({
    name: z.string().min(1).describe('What is released (shown in the record and the job summary)'),
    version: z.union([z.string().min(1), z.number()]).describe('The release version (a tag, a build number)'),
    environment: z.string().optional().describe('Default environment (--env wins)'),
    regions: z.array(z.string()).optional().describe('Only these regions, in the environment order (default: all, primary first)'),
    migrations: migrationsSchema.optional().describe('Run first, in the primary region; forward-only: never undone by a rollback'),
    configuration: configurationSchema.optional().describe('Push the configuration (ConfigMaps) of these components before they roll'),
    bake: duration.optional().describe('Default bake of every component (default 10s)'),
    components: z.record(z.string(), componentEntrySchema).default({}).describe('Per component (name or alias): its image and strategy. Components absent keep what they run'),
  })
  .strict()

export type ReleaseManifestFile = z.input<typeof releaseManifestSchema>

export interface ReleaseComponent {
  component: Component
  image: string
  strategy: 'rolling' | 'canary'
  canarySteps?: number[]
  bakeMs: number
}

export interface ReleaseManifest {
  name: string
  version: string
  environment?: string
  regions?: string[]
  /** sha256 of the file as read: the record keeps it, --resume checks it. */
  digest: string
  /** Directory of release.yaml: relative paths in it resolve from there. */
  baseDir: string
  migrations?: { kind: 'sql'; dir: string; to?: number } | { kind: 'job'; image: string; timeoutMs: number; jobTemplate?: string }
  configuration?: { components: Component[]; restart: boolean; dir?: string }
  bakeMs: number
  components: ReleaseComponent[]
}

const HINT = 'See "Releasing from a pipeline" in the README, or schemas/release.schema.json for editor completion.'
export const DEFAULT_RELEASE_BAKE = '10s'

export const manifestDigest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`

/** Reads and validates release.yaml against the platform (component names, images, durations). Exit 64/65. */
export function readReleaseManifest(path: string, platform: Platform): ReleaseManifest {
  const text = readInputFile(path, { what: 'release manifest' })
  return parseReleaseManifest(text, path, platform)
}

export function parseReleaseManifest(text: string, path: string, platform: Platform): ReleaseManifest {
  const input = parseYamlInput(text, path, releaseManifestSchema, HINT)
  const file = input.value
  const baseDir = dirname(resolve(path))
  const within = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  const durationAt = (value: string | undefined, fallback: string, at: PropertyKey[]) => {
    try {
      return parseDuration(value ?? fallback)
    } catch (error) {
      throw input.errorAt(at, error instanceof DurationError ? error.message : String(error))
    }
  }
  const componentAt = (name: string, at: PropertyKey[]) => {
    try {
      return resolveComponent(platform, name)
    } catch (error) {
      throw input.errorAt(at, (error as Error).message)
    }
  }
  const bakeMs = durationAt(file.bake, DEFAULT_RELEASE_BAKE, ['bake'])
  const seen = new Set<string>()
  const components: ReleaseComponent[] = Object.entries(file.components).map(([name, entry]) => {
    const component = componentAt(name, ['components', name])
    if (seen.has(component.name)) throw input.errorAt(['components', name], `${component.name} is named twice`)
    seen.add(component.name)
    const problem = checkImageInput(entry.image)
    if (problem) throw input.errorAt(['components', name, 'image'], `invalid image reference "${entry.image}": ${problem}`)
    const strategy = entry.strategy?.type ?? 'rolling'
    let canarySteps: number[] | undefined
    if (strategy === 'canary') {
      try {
        canarySteps = normalizeCanarySteps(entry.strategy?.steps ?? [25, 50, 100])
      } catch (error) {
        throw input.errorAt(['components', name, 'strategy', 'steps'], (error as Error).message)
      }
    } else if (entry.strategy?.steps) {
      throw input.errorAt(['components', name, 'strategy', 'steps'], 'steps need type: canary')
    }
    return { component, image: entry.image, strategy, ...(canarySteps ? { canarySteps } : {}), bakeMs: entry.strategy?.bake === undefined ? bakeMs : durationAt(entry.strategy.bake, '', ['components', name, 'strategy', 'bake']) }
  })
  const m = file.migrations
  if (m?.image !== undefined && checkImageInput(m.image)) throw input.errorAt(['migrations', 'image'], `invalid image reference "${m.image}": ${checkImageInput(m.image)}`)
  if (m?.image !== undefined && m.to !== undefined) throw input.errorAt(['migrations', 'to'], 'to works with sql only')
  if (m?.sql !== undefined && m.timeout !== undefined) throw input.errorAt(['migrations', 'timeout'], 'timeout works with image only')
  if (m?.sql !== undefined && m.jobTemplate !== undefined) throw input.errorAt(['migrations', 'jobTemplate'], 'jobTemplate works with image only')
  const migrations = m === undefined ? undefined : m.sql !== undefined ? { kind: 'sql' as const, dir: within(m.sql), ...(m.to === undefined ? {} : { to: m.to }) } : { kind: 'job' as const, image: m.image!, timeoutMs: durationAt(m.timeout, '15m', ['migrations', 'timeout']), ...(m.jobTemplate ? { jobTemplate: within(m.jobTemplate) } : {}) }
  const c = file.configuration
  const configuration = c === undefined ? undefined : { components: c.components ? c.components.map((name, i) => componentAt(name, ['configuration', 'components', i])) : components.map((rc) => rc.component), restart: c.restart, ...(c.dir ? { dir: within(c.dir) } : {}) }
  if (configuration && configuration.components.length === 0) throw input.errorAt(['configuration'], 'no components to push: name them in configuration.components, or release at least one component')
  if (components.length === 0 && !migrations && !configuration) throw invalidInputError(`${path}: the release changes nothing: give components, migrations or configuration`, { hints: [HINT] })
  return {
    name: file.name,
    version: String(file.version),
    ...(file.environment ? { environment: file.environment } : {}),
    ...(file.regions ? { regions: file.regions } : {}),
    digest: manifestDigest(text),
    baseDir,
    ...(migrations ? { migrations } : {}),
    ...(configuration ? { configuration } : {}),
    bakeMs,
    components,
  }
}
