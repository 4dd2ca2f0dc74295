// `mkt release init`: a release.yaml describing what runs now (every component's image in the primary region),
// a starting point a pipeline edits (a new tag per built component) rather than writes from nothing.
import { stringify } from 'yaml'
import type { Environment, Platform, Region } from '../platform/schema.js'
import { readCurrent } from '../rollout/deploy.js'

export async function releaseManifestFromCluster(platform: Platform, environment: Environment, regions: Region[], name: string, version: string): Promise<{ text: string; components: number }> {
  const primary = regions[0]!
  const { current } = await readCurrent({ platform, environment, regions: [primary], components: platform.components })
  const components: Record<string, { image: string }> = {}
  for (const component of platform.components) {
    const state = current[primary.name]?.[component.name]
    if (state && state !== 'missing' && state.image) components[component.aliases[0] ?? component.name] = { image: state.image }
  }
  const manifest = {
    name,
    version,
    environment: environment.name,
    bake: '10s',
    components,
  }
  const header = [
    '# yaml-language-server: $schema=https://mkt.dev/schemas/release.schema.json',
    `# Written by mkt release init from what ${environment.name} (${primary.name}) runs now. Change the images you release,`,
    '# delete the components you do not (they keep what they run), and add migrations: / configuration: as needed.',
    '# Reference: "Releasing from a pipeline" in the README.',
  ]
  return { text: `${header.join('\n')}\n${stringify(manifest)}`, components: Object.keys(components).length }
}
