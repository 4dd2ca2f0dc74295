// What every `mkt release` command starts from: release.yaml read against the platform, the environment
// (--env, else the manifest's, else the default), and its regions (the manifest may narrow them).
import { configRoot } from '../config/files.js'
import { regionsFromFlag } from '../kube/client.js'
import type { LoadedPlatform } from '../platform/load.js'
import type { Environment, Region } from '../platform/schema.js'
import { readReleaseManifest, type ReleaseManifest } from './manifest.js'

export interface ReleaseInputs {
  manifest: ReleaseManifest
  environment: Environment
  regions: Region[]
  configRoot: string
}

export async function releaseInputs(
  loaded: LoadedPlatform,
  file: string,
  environmentOf: (name: string | undefined) => Promise<Environment>,
  envFlag: string | undefined,
  configDir?: string,
): Promise<ReleaseInputs> {
  const manifest = readReleaseManifest(file, loaded.platform)
  const environment = await environmentOf(envFlag ?? manifest.environment)
  const regions = regionsFromFlag(environment, manifest.regions?.join(','))
  return { manifest, environment, regions, configRoot: configDir ?? manifest.configuration?.dir ?? configRoot(loaded.source) }
}
