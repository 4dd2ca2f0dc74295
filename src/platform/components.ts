// Component names: people type `catalog`, `MarketplaceCatalogService` or `marketplace-catalog-service`.
import { usageError } from '../errors.js'
import type { Component, Platform } from './schema.js'

/** `MarketplaceCatalogService` → `marketplace-catalog-service`; kebab-case input is returned lowercased. */
export function toKebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[_\s.]+/g, '-')
    .toLowerCase()
}

/** `marketplace-catalog-service` → `MarketplaceCatalogService`. */
export function toPascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')
}

export const displayNameOf = (component: Pick<Component, 'name' | 'displayName'>) => component.displayName ?? toPascalCase(component.name)

/** Every name a component answers to, kebab-cased. */
export function namesOf(component: Component): string[] {
  return [component.name, ...component.aliases, toKebabCase(displayNameOf(component))]
}

/** Resolves one typed name to a component, or fails with exit 64 and the closest names. */
export function resolveComponent(platform: Platform, input: string): Component {
  const wanted = toKebabCase(input.trim())
  const match = platform.components.find((c) => namesOf(c).includes(wanted))
  if (match) return match
  const suggestions = closestNames(wanted, platform.components.flatMap((c) => [c.name, ...c.aliases]))
  throw usageError(`unknown component "${input}"`, {
    hints: [
      suggestions.length > 0 ? `Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : 'No similar component name.',
      'Run `mkt components list` to see every component and its aliases.',
    ],
  })
}

/** Resolves several names, dropping duplicates and keeping the order given. */
export function resolveComponents(platform: Platform, inputs: string[]): Component[] {
  const seen = new Set<string>()
  const result: Component[] = []
  for (const input of inputs) {
    const component = resolveComponent(platform, input)
    if (!seen.has(component.name)) result.push(component)
    seen.add(component.name)
  }
  return result
}

/** Up to three names within a small edit distance (or sharing a prefix), closest first. */
export function closestNames(input: string, candidates: string[], max = 3): string[] {
  const scored = candidates
    .map((name) => ({ name, distance: editDistance(input, name) }))
    .filter(({ name, distance }) => distance <= Math.max(2, Math.floor(name.length / 3)) || name.includes(input) || input.includes(name))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
  return [...new Set(scored.map((s) => s.name))].slice(0, max)
}

/** Levenshtein distance (insert, delete, substitute: cost 1). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}

/** Maps a dependsOn entry (name or alias) to the component's name. */
function dependencyNames(components: Component[]): Map<string, string[]> {
  const byAnyName = new Map<string, string>()
  for (const c of components) for (const n of [c.name, ...c.aliases]) byAnyName.set(n, c.name)
  return new Map(components.map((c) => [c.name, c.dependsOn.map((d) => byAnyName.get(d) ?? d)]))
}

/** A dependsOn cycle as a list of names (first repeated at the end), or undefined. */
export function findComponentCycle(components: Component[]): string[] | undefined {
  const deps = dependencyNames(components)
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name]
    state.set(name, 'visiting')
    stack.push(name)
    for (const dep of deps.get(name) ?? []) {
      const cycle = visit(dep)
      if (cycle) return cycle
    }
    stack.pop()
    state.set(name, 'done')
    return undefined
  }
  for (const c of components) {
    const cycle = visit(c.name)
    if (cycle) return cycle
  }
  return undefined
}

/**
 * Groups the selected components into waves: each wave depends only on earlier waves. Dependencies that
 * are not selected are ignored (they are assumed already deployed). Within a wave, order is by name.
 */
export function dependencyWaves(selected: Component[], all: Component[]): Component[][] {
  const deps = dependencyNames(all)
  const remaining = new Map(selected.map((c) => [c.name, c]))
  const waves: Component[][] = []
  while (remaining.size > 0) {
    const wave = [...remaining.values()].filter((c) => (deps.get(c.name) ?? []).every((d) => !remaining.has(d)))
    if (wave.length === 0) throw usageError('dependsOn has a cycle among the selected components')
    wave.sort((a, b) => a.name.localeCompare(b.name))
    for (const c of wave) remaining.delete(c.name)
    waves.push(wave)
  }
  return waves
}
