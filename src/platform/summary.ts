import { displayNameOf } from './components.js'
import type { Platform } from './schema.js'

export function summarizeComponents(platform: Platform) {
  const nameOf = new Map<string, string>()
  for (const c of platform.components) for (const n of [c.name, ...c.aliases]) nameOf.set(n, c.name)
  return platform.components.map((c) => ({
    name: c.name,
    displayName: displayNameOf(c),
    kind: c.kind,
    aliases: c.aliases,
    public: c.public,
    port: c.port,
    dependsOn: c.dependsOn.map((d) => nameOf.get(d) ?? d),
  }))
}
