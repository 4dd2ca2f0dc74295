// Parsing and validating mkt.yaml (yaml + zod). Imported lazily by load.ts: a cached, already validated
// platform skips this module and its dependencies entirely, which keeps startup fast.
import { parseYamlInput } from '../yaml-input.js'
import { findComponentCycle } from './components.js'
import { platformSchema, type Platform } from './schema.js'

/** Parses and validates mkt.yaml text; `label` names the file in errors. */
export function parsePlatform(text: string, label: string): Platform {
  const input = parseYamlInput(text, label, platformSchema, 'See the mkt.yaml reference in the README, or schemas/mkt.schema.json for editor completion.')
  const crossCheck = crossCheckPlatform(input.value)
  if (crossCheck) throw input.errorAt(crossCheck.path, crossCheck.message)
  return input.value
}

/** Rules zod cannot express per field: unique names and aliases, dependsOn targets, cycles, defaults. */
export function crossCheckPlatform(platform: Platform): { path: PropertyKey[]; message: string } | undefined {
  const owners = new Map<string, number>()
  for (const [i, component] of platform.components.entries()) {
    for (const [j, name] of [component.name, ...component.aliases].entries()) {
      const other = owners.get(name)
      if (other !== undefined && other !== i) {
        return {
          path: j === 0 ? ['components', i, 'name'] : ['components', i, 'aliases', j - 1],
          message: `"${name}" is already used by ${platform.components[other].name}`,
        }
      }
      owners.set(name, i)
    }
  }
  for (const [i, component] of platform.components.entries()) {
    for (const [j, dep] of component.dependsOn.entries()) {
      if (!owners.has(dep)) return { path: ['components', i, 'dependsOn', j], message: `unknown component "${dep}"` }
    }
  }
  const cycle = findComponentCycle(platform.components)
  if (cycle) return { path: ['components'], message: `dependsOn has a cycle: ${cycle.join(' -> ')}` }
  const envNames = new Set<string>()
  for (const [i, env] of platform.environments.entries()) {
    if (envNames.has(env.name)) return { path: ['environments', i, 'name'], message: `duplicate environment "${env.name}"` }
    envNames.add(env.name)
  }
  if (!envNames.has(platform.defaults.environment)) {
    return { path: ['defaults', 'environment'], message: `unknown environment "${platform.defaults.environment}"` }
  }
  return undefined
}
