// `mkt release plan`: reads what runs now (images, revisions and their verdicts, configuration, pending
// migrations, GitOps ownership) and lays out every step of a release in order. Read-only. The run uses the same
// plan, so what `plan` shows is what `run` does.
import type { V1Deployment } from '@kubernetes/client-node'
import { configError, usageError } from '../errors.js'
import { MKT_ANNOTATIONS } from '../rollout/objects.js'
import { CHECKSUM_ANNOTATION, planConfig, type ComponentPlan } from '../config/service.js'
import { dataDiffIsEmpty } from '../config/render.js'
import { connectRegion } from '../kube/client.js'
import { firstKubernetesRegion, regionsInRolloutOrder } from '../platform/environments.js'
import { readSqlDir } from '../migrate/sql-files.js'
import { planSqlMigrations, resolveDatabase } from '../migrate/sql-runner.js'
import { dependencyWaves } from '../platform/components.js'
import type { Component, Environment, Platform, Region } from '../platform/schema.js'
import { containerOf, deploymentKey, readCurrent, type Connected } from '../rollout/deploy.js'
import { gitopsOwnerOf } from '../rollout/gitops.js'
import { planDeploy, type PlanEntry } from '../rollout/plan.js'
import type { ReleaseManifest } from './manifest.js'

export interface MigrationsPlan {
  runner: 'sql' | 'job'
  region: string
  /** SQL: the files not applied yet; Job: unknown before it runs (empty). */
  pending: Array<{ version: number; name: string }>
  databaseVersion: number | null
  targetVersion: number | null
  image: string | null
  dir: string | null
}

export interface ReleaseEntry {
  wave: number | null
  region: string
  component: string
  from: string | null
  to: string | null
  revision: number | null
  /** The serving revision's verdict (passed, pending …): a `pending` one at the target is re-verified on --resume. */
  verdict: string | null
  changes: Array<'image' | 'configuration'>
  strategy: 'rolling' | 'canary'
  canarySteps: number[]
  bakeMs: number
  /** A reconciler (Flux, Argo CD) that owns the Deployment and would revert a direct change, or null. */
  gitops: string | null
  blockers: string[]
  notes: string[]
}

export interface ReleasePlan {
  name: string
  version: string
  digest: string
  environment: string
  primaryRegion: string
  /** Where the record and the release lock live (null: no Kubernetes region, the release cannot run). */
  recordRegion: string | null
  regions: string[]
  migrations: MigrationsPlan | null
  configuration: Array<{ region: string; component: string; configMap: string; added: number; changed: number; removed: number; envFromWired: boolean; secrets: Array<{ name: string; state: string }>; checksum: string; restart: boolean }>
  components: ReleaseEntry[]
  waves: Array<Array<{ region: string; component: string }>>
  changed: boolean
  blockers: string[]
}

export interface PlanContext {
  platform: Platform
  environment: Environment
  regions: Region[]
  manifest: ReleaseManifest
  configRoot: string
  /** Secret values the release pushes (from --from-env / --from-file). */
  values: Map<string, string>
  /** Push values no configuration file references (--allow-unreferenced). */
  allowUnreferenced?: boolean
  /** --resume: a component already at its target whose revision has no `passed` verdict is rolled (verified) again. */
  reverify?: boolean
}

export interface PreparedRelease {
  plan: ReleasePlan
  connected: Connected[]
  deployments: Map<string, V1Deployment>
  /** The plan entries the engine runs (PlanEntry per region/component), by deploymentKey. */
  entries: Map<string, PlanEntry>
  components: Map<string, Component>
  configPlans: ComponentPlan[]
}

/**
 * The regions a release pushes configuration to: its Kubernetes regions. On Container Apps the configuration lives
 * on the container app (its env and secrets, set by whatever provisions it); mkt says so in the plan and rolls
 * the image there without it, so a mixed environment can still release.
 */
export const configurationRegions = (regions: Region[]): Region[] => regions.filter((r) => !r.containerApps)

const CONTAINER_APPS_CONFIGURATION_NOTE = 'configuration not pushed here: on Container Apps it lives on the container app (az containerapp update --set-env-vars); the image is released without it'

export async function prepareRelease(context: PlanContext): Promise<PreparedRelease> {
  const { manifest, platform, environment, regions } = context
  const configComponents = manifest.configuration?.components ?? []
  if (context.values.size > 0 && configComponents.length === 0) {
    throw usageError(`secret values were given (${[...context.values.keys()].join(', ')}) but the release pushes no configuration; nothing was written`, {
      hints: ['Add `configuration:` to release.yaml, or push them with `mkt config push`.'],
    })
  }
  const rolling = new Map<string, Component>()
  for (const c of [...manifest.components.map((rc) => rc.component), ...configComponents]) rolling.set(c.name, c)
  const [read, configPlans, migrations] = await Promise.all([
    readCurrent({ platform, environment, regions, components: [...rolling.values()] }),
    configComponents.length > 0 ? planConfig({ platform, environment, components: configComponents, regions: configurationRegions(regions), root: context.configRoot, values: context.values, ...(context.allowUnreferenced ? { allowUnreferenced: true } : {}) }) : Promise.resolve([]),
    planMigrations(context),
  ])
  // The verdict of the revision each Deployment serves (the engine keeps it on the Deployment while current).
  const verdictOf = (key: string) => read.deployments.get(key)?.metadata?.annotations?.[MKT_ANNOTATIONS.verdict] ?? null

  const entries = new Map<string, PlanEntry>()
  const rows: ReleaseEntry[] = []
  for (const region of regions) {
    for (const component of rolling.values()) {
      const released = manifest.components.find((rc) => rc.component.name === component.name)
      const current = read.current[region.name]?.[component.name]
      const currentImage = current && current !== 'missing' ? current.image : undefined
      const target = released?.image ?? currentImage ?? 'missing'
      const [planned] = planDeploy({
        components: [{ name: component.name, container: containerOf(component), ...(component.image ? { repository: component.image } : {}) }],
        regions: [region.name],
        current: read.current,
        targetImage: target === 'missing' ? 'unknown' : target,
        strategy: released?.strategy ?? 'rolling',
        ...(released?.canarySteps ? { canarySteps: released.canarySteps } : {}),
        bakeMs: released?.bakeMs ?? manifest.bakeMs,
      }).regions[0]!.components
      const entry = planned!
      const key = deploymentKey(region.name, component.name)
      const deployment = read.deployments.get(key)
      const config = configPlans.find((p) => p.region === region.name && p.component === component.name)
      const changes: Array<'image' | 'configuration'> = []
      if (entry.changes) changes.push('image')
      if (config && manifest.configuration?.restart && deployment && (!config.envFromWired || deployment.spec?.template?.metadata?.annotations?.[CHECKSUM_ANNOTATION] !== config.checksum)) changes.push('configuration')
      const verdict = verdictOf(key)
      if (context.reverify && changes.length === 0 && released && entry.blockers.length === 0 && verdict !== 'passed') {
        changes.push('image')
        entry.notes.push(`already runs ${entry.to} but its revision has no passed verdict (${verdict ?? 'none'}): rolled and gated again`)
      }
      if (region.containerApps && configComponents.some((c) => c.name === component.name)) entry.notes.push(CONTAINER_APPS_CONFIGURATION_NOTE)
      const gitops = deployment ? gitopsOwnerOf(deployment) : undefined
      if (gitops) entry.notes.push(`${gitops}: a direct change would be reverted by the reconciler`)
      entry.changes = changes.length > 0
      if (entry.changes && entry.to === undefined && entry.from !== undefined) entry.to = entry.from
      entries.set(key, entry)
      rows.push({
        wave: null,
        region: region.name,
        component: component.name,
        from: entry.from ?? null,
        to: entry.to ?? null,
        revision: entry.revision ?? null,
        verdict,
        changes,
        strategy: entry.strategy,
        canarySteps: entry.canarySteps?.map((s) => s.weight) ?? [],
        bakeMs: released?.bakeMs ?? manifest.bakeMs,
        gitops: gitops ?? null,
        blockers: entry.blockers,
        notes: entry.notes,
      })
    }
  }

  // Waves: regions in order (primary first), dependsOn waves within each; only what changes and is not blocked.
  const componentWaves = dependencyWaves([...rolling.values()], platform.components)
  const waves: ReleasePlan['waves'] = []
  for (const region of regions) {
    for (const wave of componentWaves) {
      const items = wave.map((c) => rows.find((r) => r.region === region.name && r.component === c.name)!).filter((r) => r.changes.length > 0 && r.blockers.length === 0)
      if (items.length === 0) continue
      for (const item of items) item.wave = waves.length + 1
      waves.push(items.map((r) => ({ region: r.region, component: r.component })))
    }
  }
  const configuration = configPlans.map((p) => ({
    region: p.region,
    component: p.component,
    configMap: p.configMap,
    added: p.data.added.length,
    changed: p.data.changed.length,
    removed: p.data.removed.length,
    envFromWired: p.envFromWired,
    secrets: p.secrets.map((s) => ({ name: s.name, state: s.state })),
    checksum: p.checksum,
    restart: manifest.configuration?.restart ?? false,
  }))
  const missingSecrets = configuration.flatMap((c) => c.secrets.filter((s) => s.state === 'missing' || s.state === 'deleted').map((s) => `${c.region}/${c.component}: Key Vault secret ${s.name} is ${s.state}`))
  const homeless = noReleaseHome(environment)
  const blockers = [...(homeless ? [homeless] : []), ...rows.flatMap((r) => r.blockers.map((b) => `${r.region}/${r.component}: ${b}`)), ...missingSecrets]
  const plan: ReleasePlan = {
    name: manifest.name,
    version: manifest.version,
    digest: manifest.digest,
    environment: environment.name,
    primaryRegion: regionsInRolloutOrder(environment)[0]!.name,
    recordRegion: releaseHomeRegion(environment)?.name ?? null,
    regions: regions.map((r) => r.name),
    migrations,
    configuration,
    components: rows,
    waves,
    changed: (migrations?.pending.length ?? 0) > 0 || migrations?.runner === 'job' || configPlans.some((p) => !dataDiffIsEmpty(p.data)) || waves.length > 0,
    blockers,
  }
  return { plan, connected: read.connected, deployments: read.deployments, entries, components: rolling, configPlans }
}

async function planMigrations(context: PlanContext): Promise<MigrationsPlan | null> {
  const m = context.manifest.migrations
  const region = releaseHomeRegion(context.environment)?.name ?? regionsInRolloutOrder(context.environment)[0]!.name
  if (!m) return null
  if (m.kind === 'job') return { runner: 'job', region, pending: [], databaseVersion: null, targetVersion: null, image: m.image, dir: null }
  const files = await readSqlDir(m.dir)
  const db = await resolveDatabase(context.platform, context.environment)
  const plan = await planSqlMigrations(db, files, m.to, 'mkt release plan')
  return {
    runner: 'sql',
    region,
    pending: plan.pending.map((f) => ({ version: f.version, name: f.name })),
    databaseVersion: plan.databaseVersion,
    targetVersion: plan.targetVersion,
    image: null,
    dir: m.dir,
  }
}

/**
 * Where an environment's releases keep their record (a ConfigMap) and their lock (a Lease): its first Kubernetes
 * region, primary first. Container Apps regions have neither, and the environment's (not the manifest's) regions
 * decide, so `release status` and `history` find every release whatever regions it narrowed to.
 */
export const releaseHomeRegion = firstKubernetesRegion

/** Why an environment cannot keep release records (one line), or undefined when it can. */
export const noReleaseHome = (environment: Environment): string | undefined =>
  releaseHomeRegion(environment) ? undefined : `environment ${environment.name} has no Kubernetes region to keep the release record and lock in (a ConfigMap and a Lease): mkt release cannot run on Container Apps alone`

/** Connects to the environment's release home region (where the record and the release lock live). */
export async function releaseHomeConnection(platform: Platform, environment: Environment) {
  const home = releaseHomeRegion(environment)
  if (!home) {
    throw configError(noReleaseHome(environment)!, {
      hints: ['Add an AKS region to the environment in mkt.yaml, or release its components with `mkt deploy service` and `mkt migrate run --sql` (README "Container Apps").'],
    })
  }
  return connectRegion(platform, environment, home)
}

/** The plan as lines: every step in order, what changes and what does not, the waves and the gates. */
export function describeReleasePlan(plan: ReleasePlan, gates: string): string[] {
  const home = plan.recordRegion && plan.recordRegion !== plan.primaryRegion ? `; record and lock in ${plan.recordRegion}` : ''
  const lines: string[] = [`Release ${plan.name} ${plan.version} to ${plan.environment} (${plan.regions.join(', ')}; primary ${plan.primaryRegion}${home}), manifest ${plan.digest.slice(0, 19)}…`]
  let step = 1
  const m = plan.migrations
  if (m) {
    const what =
      m.runner === 'sql'
        ? m.pending.length === 0
          ? `none pending (database at version ${m.databaseVersion})`
          : `${m.pending.length} pending: ${m.pending.map((p) => `V${String(p.version).padStart(3, '0')} ${p.name}`).join(', ')} (database ${m.databaseVersion} -> ${m.targetVersion})`
        : `Job with image ${m.image}`
    lines.push(`${step++}. migrations in ${m.region} (${m.runner === 'sql' ? `SQL files ${m.dir}` : 'Kubernetes Job'}): ${what}`)
    lines.push('   forward-only: a failed release never undoes a migration; a failed migration stops the release before any component changes')
  } else {
    lines.push(`${step++}. migrations: none in this release`)
  }
  if (plan.configuration.length > 0) {
    lines.push(`${step++}. configuration push${plan.configuration[0]!.restart ? ' (pods roll in their wave)' : ' (no restart: running pods keep their configuration)'}:`)
    for (const c of plan.configuration) {
      const diff = c.added + c.changed + c.removed === 0 ? 'unchanged' : `+${c.added} ~${c.changed} -${c.removed} keys`
      const secrets = c.secrets.length === 0 ? 'no secrets' : c.secrets.map((s) => `${s.name} ${s.state}`).join(', ')
      lines.push(`   ${c.region}/${c.component}: ${c.configMap} ${diff}${c.envFromWired ? '' : ', envFrom to be wired'}; secrets: ${secrets}`)
    }
  } else {
    lines.push(`${step++}. configuration: not pushed by this release`)
  }
  lines.push(`${step++}. components, in waves (regions in order, dependsOn within):`)
  for (const row of plan.components) {
    const what = row.blockers.length > 0 ? `blocked: ${row.blockers.join('; ')}` : row.changes.length === 0 ? `unchanged (${row.from})` : `${row.changes.includes('image') && row.from !== row.to ? `${row.from} -> ${row.to}` : `${row.to} (same image)`}${row.changes.includes('configuration') ? ' + configuration' : ''} ${row.strategy === 'canary' ? `canary ${row.canarySteps.join('% > ')}%` : 'rolling'}`
    lines.push(`   ${row.wave === null ? '-' : `wave ${row.wave}`} ${row.region}/${row.component}: ${what}${row.gitops ? ` [GitOps: ${row.gitops}]` : ''}`)
    for (const note of row.notes) lines.push(`      note: ${note}`)
  }
  lines.push(`${step}. verify: the health roll-up of ${plan.environment} (every component, every region) must show no component this release changed Unhealthy or Unknown (a region that cannot be read)`)
  lines.push(gates)
  lines.push('On any failure: every component this release changed is rolled back together (one compensation step), configuration restored; migrations stay applied (forward-only).')
  if (plan.blockers.length > 0) {
    lines.push(`Blocked: \`mkt release run\` refuses this release, changing nothing, until ${plan.blockers.length === 1 ? 'this is' : 'these are'} fixed:`)
    for (const blocker of plan.blockers) lines.push(`  ${blocker}`)
  }
  return lines
}
