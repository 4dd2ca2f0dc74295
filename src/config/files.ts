// Finding and reading the configuration of an environment: config/<env>/_shared.yaml and
// config/<env>/<component>.yaml (beside mkt.yaml, or the built-in templates), validated and rendered.
// Every problem exits 65 naming the file, line and key; nothing is written when any file is wrong.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Ajv } from 'ajv'
import { z } from 'zod'
import { invalidInputError } from '../errors.js'
import { templatesDir } from '../paths.js'
import type { Component, Platform } from '../platform/schema.js'
import { parseYamlInput, type YamlInput } from '../yaml-input.js'
import { flattenConfig, mergeConfig, type RenderedEntry } from './render.js'
import { scanForSecrets } from './secret-scan.js'

export const SHARED_FILE = '_shared.yaml'

export function configRoot(platformSource: string, override?: string): string {
  if (override) return override
  if (platformSource !== 'built-in') return join(dirname(platformSource), 'config')
  return join(templatesDir(), 'config')
}

export interface ComponentConfig {
  component: string
  files: string[]
  entries: RenderedEntry[]
}

const anyMapping = z.record(z.string(), z.unknown()).nullable()

const SECRET_HINT = 'Fix the key or value at that line. Secret values belong in Key Vault: `mkt config push --from-env NAME=VAR`.'

async function rendered(path: string, source: RenderedEntry['source']): Promise<RenderedEntry[]> {
  const text = readFileSync(path, 'utf8')
  const input: YamlInput<Record<string, unknown> | null> = parseYamlInput(text, path, anyMapping, 'See "Configuration files" in the README.')
  const { entries, problems } = flattenConfig(input.value ?? {}, source)
  if (problems.length > 0) {
    const first = problems[0]!
    throw input.errorAt(first.yamlPath, first.message, [SECRET_HINT])
  }
  const [finding] = await scanForSecrets(text, path)
  if (finding) throw input.errorAtOffset(finding.offset, `looks like a secret given as a literal value (secretlint ${finding.rule}): put it in Key Vault and reference it with { secret: <name> }`, [SECRET_HINT])
  return entries
}

/** The rendered configuration of every component of the environment (or the selected ones). */
export async function readEnvironmentConfig(root: string, environment: string, platform: Platform, selected: Component[]): Promise<ComponentConfig[]> {
  const dir = join(root, environment)
  if (!existsSync(dir)) return selected.map((c) => ({ component: c.name, files: [], entries: [] }))
  const known = new Set(platform.components.map((c) => c.name))
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))) {
    const name = file.replace(/\.ya?ml$/, '')
    if (file !== SHARED_FILE && !known.has(name)) {
      throw invalidInputError(`${join(dir, file)}: "${name}" is not a component of ${platform.platform.name}`, {
        hints: ['Name component files after the component (`mkt components list`), or rename _shared.yaml entries.'],
      })
    }
  }
  const sharedPath = join(dir, SHARED_FILE)
  const shared = existsSync(sharedPath) ? await rendered(sharedPath, 'shared') : []
  const configs: ComponentConfig[] = []
  for (const component of selected) {
    const path = [join(dir, `${component.name}.yaml`), join(dir, `${component.name}.yml`)].find(existsSync)
    const own = path ? await rendered(path, 'component') : []
    const entries = mergeConfig(shared, own)
    validateAgainstSchema(root, component.name, entries, path ?? sharedPath)
    configs.push({ component: component.name, files: [...(existsSync(sharedPath) ? [sharedPath] : []), ...(path ? [path] : [])], entries })
  }
  return configs
}

/** Back to a nested object (secrets as "secret:<name>") for the component's JSON Schema. */
export function nestedOf(entries: RenderedEntry[]): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const entry of entries) {
    const parts = entry.path.split(':')
    let node = root
    // Own properties only: a key like toString must not walk into Object.prototype.
    for (const part of parts.slice(0, -1)) node = (Object.hasOwn(node, part) ? node[part] : (node[part] = {})) as Record<string, unknown>
    node[parts.at(-1)!] = entry.secret !== undefined ? `secret:${entry.secret}` : coerce(entry.value!)
  }
  return root
}

const coerce = (value: string): unknown => (value === 'true' ? true : value === 'false' ? false : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value)

/** config/schemas/<component>.schema.json, when present, is enforced. */
function validateAgainstSchema(root: string, component: string, entries: RenderedEntry[], file: string): void {
  const schemaPath = join(root, 'schemas', `${component}.schema.json`)
  if (!existsSync(schemaPath)) return
  let schema: unknown
  try {
    schema = JSON.parse(readFileSync(schemaPath, 'utf8'))
  } catch (error) {
    throw invalidInputError(`${schemaPath}: not valid JSON: ${(error as Error).message}`)
  }
  const validate = ajv().compile(schema as object)
  if (validate(nestedOf(entries))) return
  const first = validate.errors?.[0]
  const where = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, ':') : '(root)'
  throw invalidInputError(`${file}: ${where}: ${first?.message ?? 'does not match'} (config/schemas/${component}.schema.json)`, {
    hints: ['Fix the value, or the component schema if the value is right.'],
  })
}

let ajvInstance: Ajv | undefined
const ajv = (): Ajv => (ajvInstance ??= new Ajv({ allErrors: false, strict: false }))
