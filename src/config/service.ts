// `mkt config plan|push|get`: rendered configuration against each region's ConfigMap (`<component>-config`,
// server-side applied with field manager `mkt`, consumed by the Deployment through envFrom) and secret
// references against Key Vault. Secret values are never shown, hashed or written anywhere but Key Vault.
import type { CoreV1Api, V1ConfigMap, V1Deployment } from '@kubernetes/client-node'
import type { SecretClient } from '@azure/keyvault-secrets'
import { keyVaultFor } from '../azure/keyvault.js'
import { connectRegion, loadKubeClient, refuseContainerApps } from '../kube/client.js'
import { usageError } from '../errors.js'
import { kubeStatusOf, toKubeError } from '../kube/errors.js'
import { closestNames } from '../platform/components.js'
import type { Component, Environment, Platform, Region } from '../platform/schema.js'
import { RegionCluster } from '../rollout/cluster.js'
import { containerOf, rollTemplateChange, type ItemResult, type TemplateChangeRequest } from '../rollout/deploy.js'
import { STRATEGIC_MERGE_PATCH, type PatchRequest, type ReleaseAudit } from '../rollout/patches.js'
import { readEnvironmentConfig, type ComponentConfig } from './files.js'
import { checksumOf, configMapData, dataDiffIsEmpty, diffData, type DataDiff } from './render.js'
import { pushSecret, secretInfo, type SecretState } from './secrets.js'

export const CHECKSUM_ANNOTATION = 'mkt.dev/config-checksum'
export const configMapName = (component: string) => `${component}-config`

export interface ComponentPlan {
  component: string
  region: string
  configMap: string
  data: DataDiff
  envFromWired: boolean
  secrets: Array<{ name: string; key: string; state: SecretState }>
  files: string[]
  /** What `push --restart` stamps on the pod template (mkt.dev/config-checksum). */
  checksum: string
}

export interface ConfigContext {
  platform: Platform
  environment: Environment
  components: Component[]
  regions: Region[]
  root: string
  /** Secret values from --from-env/--from-file/--stdin (already registered with the redactor). */
  values: Map<string, string>
  /** Write values no configuration file references (--allow-unreferenced); otherwise such a name is refused (64). */
  allowUnreferenced?: boolean
}

/**
 * Secret names given a value that no configuration file of the environment references, with the closest
 * referenced names. A typo (`Bogus--Name`) would otherwise create a secret nothing reads while the one meant
 * stays missing.
 */
export function unreferencedSecrets(values: ReadonlyMap<string, string>, allConfigs: readonly ComponentConfig[]): Array<{ name: string; didYouMean: string[] }> {
  const referenced = [...new Set(allConfigs.flatMap((c) => c.entries.filter((e) => e.secret !== undefined).map((e) => e.secret!)))]
  return [...values.keys()].filter((name) => !referenced.includes(name)).map((name) => ({ name, didYouMean: closestNames(name, referenced) }))
}

function refuseUnreferenced(context: ConfigContext, allConfigs: readonly ComponentConfig[]): void {
  if (context.allowUnreferenced) return
  const unreferenced = unreferencedSecrets(context.values, allConfigs)
  if (unreferenced.length === 0) return
  const first = unreferenced[0]!
  throw usageError(
    `secret ${unreferenced.map((u) => u.name).join(', ')} ${unreferenced.length === 1 ? 'is' : 'are'} referenced by no configuration file in config/${context.environment.name}; nothing was written`,
    {
      hints: [
        first.didYouMean.length > 0 ? `Did you mean ${first.didYouMean.map((n) => `"${n}"`).join(' or ')}?` : `Reference it from a configuration file (Key: { secret: ${first.name} }) first.`,
        'If an app reads it from Key Vault directly, pass --allow-unreferenced.',
      ],
    },
  )
}

interface Loaded {
  configs: ComponentConfig[]
  clusters: Array<{ region: Region; cluster: RegionCluster; core: CoreV1Api }>
  vault: SecretClient | undefined
}

/**
 * `mkt config plan|push` on a Container Apps region: exit 78 in one line before any file is read. Configuration here
 * is ConfigMaps rolled out through Deployments; a container app keeps its own in its template.
 */
export function refuseConfigOnContainerApps(environment: Environment, regions: readonly Region[]): void {
  refuseContainerApps(environment, regions, '`mkt config` (plan, push, push --restart)', "set the container app's environment variables and secrets with `az containerapp update --set-env-vars` and `az containerapp secret set` instead")
}

async function load(context: ConfigContext): Promise<Loaded> {
  // Files first: a bad file exits 65 before anything is read or written.
  const configs = await readEnvironmentConfig(context.root, context.environment.name, context.platform, context.components)
  // A value is referenced when any component's file names it, not only the selected ones' (-c).
  if (context.values.size > 0) refuseUnreferenced(context, await readEnvironmentConfig(context.root, context.environment.name, context.platform, context.platform.components))
  const needsVault = configs.some((c) => c.entries.some((e) => e.secret !== undefined)) || context.values.size > 0
  const k8s = await loadKubeClient()
  const clusters = await Promise.all(
    context.regions.map(async (region) => {
      const connection = await connectRegion(context.platform, context.environment, region)
      return { region, cluster: await RegionCluster.open(connection), core: connection.kubeConfig.makeApiClient(k8s.CoreV1Api) }
    }),
  )
  const vault = needsVault ? (await keyVaultFor(context.platform, context.environment)).client : undefined
  return { configs, clusters, vault }
}

export async function readConfigMap(core: CoreV1Api, namespace: string, name: string, region: string): Promise<V1ConfigMap | undefined> {
  try {
    return await core.readNamespacedConfigMap({ name, namespace })
  } catch (error) {
    if (kubeStatusOf(error).code === 404) return undefined
    throw toKubeError(error, { region, action: `read configmap ${name}` })
  }
}

function envFromWired(deployment: V1Deployment | undefined, component: Component): boolean {
  const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === containerOf(component))
  return (container?.envFrom ?? []).some((e) => e.configMapRef?.name === configMapName(component.name))
}

export async function planConfig(context: ConfigContext): Promise<ComponentPlan[]> {
  const { configs, clusters, vault } = await load(context)
  const secretStates = new Map<string, SecretState>()
  const versions: Record<string, string> = {}
  for (const name of new Set(configs.flatMap((c) => c.entries.filter((e) => e.secret).map((e) => e.secret!)))) {
    const info = await secretInfo(vault!, name, context.values.get(name))
    secretStates.set(name, info.state)
    versions[name] = info.version ?? 'missing'
  }
  const plans: ComponentPlan[] = []
  for (const { region, cluster, core } of clusters) {
    for (const config of configs) {
      const component = context.components.find((c) => c.name === config.component)!
      const [configMap, deployment] = await Promise.all([readConfigMap(core, region.namespace, configMapName(component.name), region.name), cluster.readDeployment(component.name)])
      plans.push({
        component: component.name,
        region: region.name,
        configMap: configMapName(component.name),
        data: diffData(configMapData(config.entries), configMap?.data),
        envFromWired: envFromWired(deployment, component),
        secrets: config.entries.filter((e) => e.secret).map((e) => ({ name: e.secret!, key: e.key, state: secretStates.get(e.secret!)! })),
        files: config.files,
        checksum: await checksumFor(config, versions),
      })
    }
  }
  return plans
}

/** The version each referenced secret is at (the checksum changes when a secret gets a new value). */
async function secretVersionsOf(vault: SecretClient | undefined, names: string[]): Promise<Record<string, string>> {
  const versions: Record<string, string> = {}
  for (const name of names) versions[name] = (await secretInfo(vault!, name)).version ?? 'missing'
  return versions
}

/** The configuration checksum of one component: its ConfigMap data and the versions of the secrets it references. */
function checksumFor(config: ComponentConfig, versions: Record<string, string>): Promise<string> {
  const referenced = Object.fromEntries(config.entries.filter((e) => e.secret).map((e) => [e.secret!, versions[e.secret!] ?? 'missing']))
  return checksumOf(configMapData(config.entries), referenced)
}

export const planHasChanges = (plans: ComponentPlan[]) =>
  plans.some((p) => !dataDiffIsEmpty(p.data) || !p.envFromWired || p.secrets.some((s) => s.state === 'missing' || s.state === 'changed' || s.state === 'deleted'))

export interface PushResult {
  /**
   * envFromAdded: the Deployment was wired to the ConfigMap (by a --restart rollout). waitingForRestart: its
   * running pods do not have this configuration (not wired, or another checksum) and no rollout was run.
   */
  configMaps: Array<{ component: string; region: string; configMap: string; changed: boolean; envFromAdded: boolean; waitingForRestart: boolean; checksum: string }>
  secrets: Array<{ name: string; outcome: 'unchanged' | 'created' | 'updated' | 'recovered' }>
  restarts: ItemResult[]
}

export interface PushOptions {
  restart: boolean
  /**
   * The request of each restart's rollTemplateChange, but for the environment (the push's) and the change-cause:
   * each restart is a release of its own, and its change-cause is written here. `identity` is the lock holder (user@host/pid).
   */
  rollout: Omit<TemplateChangeRequest, 'environment' | 'audit'> & { audit: Omit<ReleaseAudit, 'changeCause'> }
  onStep: (message: string) => void
}

/** The pod-template change of a configuration rollout: the checksum stamp, and envFrom when not yet wired. */
function templatePatch(deployment: V1Deployment, component: Component, checksum: string, wired: boolean): Record<string, unknown> {
  const template: Record<string, unknown> = { metadata: { annotations: { [CHECKSUM_ANNOTATION]: checksum } } }
  if (!wired) {
    const container = deployment.spec!.template.spec!.containers.find((c) => c.name === containerOf(component))
    template.spec = { containers: [{ name: containerOf(component), envFrom: [...(container?.envFrom ?? []), { configMapRef: { name: configMapName(component.name) } }] }] }
  }
  return { spec: { template } }
}

/**
 * A release's rollout patch (strategic merge, image and audit) with this component's configuration change folded
 * in: the checksum stamp, and envFrom when not wired yet. One patch, so image and configuration roll together.
 */
export function releaseTemplatePatch(patch: PatchRequest, deployment: V1Deployment, component: Component, checksum: string): PatchRequest {
  if (patch.contentType !== STRATEGIC_MERGE_PATCH) return patch
  const config = (templatePatch(deployment, component, checksum, envFromWired(deployment, component)).spec as { template: { metadata: { annotations: Record<string, string> }; spec?: { containers: Array<Record<string, unknown>> } } }).template
  const body = structuredClone(patch.body) as { spec?: { template?: { metadata?: { annotations?: Record<string, unknown> }; spec?: { containers?: Array<Record<string, unknown>> } } } }
  body.spec ??= {}
  const template = (body.spec.template ??= {})
  template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, ...config.metadata.annotations } }
  for (const extra of config.spec?.containers ?? []) {
    template.spec ??= {}
    const containers = (template.spec.containers ??= [])
    const same = containers.find((c) => c.name === extra.name)
    if (same) Object.assign(same, { envFrom: extra.envFrom })
    else containers.push(extra)
  }
  return { contentType: STRATEGIC_MERGE_PATCH, body: body as Record<string, unknown> }
}

export async function pushConfig(context: ConfigContext, options: PushOptions): Promise<PushResult> {
  const { configs, clusters, vault } = await load(context)
  const k8s = await loadKubeClient()
  const result: PushResult = { configMaps: [], secrets: [], restarts: [] }

  // Secrets first: a Deployment restarted below must find every secret it references.
  for (const [name, value] of context.values) {
    const outcome = await pushSecret(vault!, name, value)
    result.secrets.push({ name, outcome })
    options.onStep(`secret ${name}: ${outcome}`)
  }
  const secretVersions = await secretVersionsOf(vault, [...new Set(configs.flatMap((c) => c.entries.filter((e) => e.secret).map((e) => e.secret!)))])

  for (const { region, cluster, core } of clusters) {
    for (const config of configs) {
      const component = context.components.find((c) => c.name === config.component)!
      const name = configMapName(component.name)
      const data = configMapData(config.entries)
      const checksum = await checksumFor(config, secretVersions)
      const before = await readConfigMap(core, region.namespace, name, region.name)
      const changed = !dataDiffIsEmpty(diffData(data, before?.data)) || before?.metadata?.annotations?.[CHECKSUM_ANNOTATION] !== checksum
      if (changed) {
        try {
          await core.patchNamespacedConfigMap(
            {
              name,
              namespace: region.namespace,
              fieldManager: 'mkt',
              force: true,
              body: {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: { name, namespace: region.namespace, labels: { 'app.kubernetes.io/name': component.name, 'app.kubernetes.io/managed-by': 'mkt' }, annotations: { [CHECKSUM_ANNOTATION]: checksum } },
                data,
              },
            },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
          )
        } catch (error) {
          throw toKubeError(error, { region: region.name, action: `apply configmap ${name}` })
        }
        options.onStep(`${region.name}: configmap ${name} applied (${Object.keys(data).length} keys)`)
      }
      const deployment = await cluster.readDeployment(component.name)
      const wired = envFromWired(deployment, component)
      const stamped = deployment?.spec?.template?.metadata?.annotations?.[CHECKSUM_ANNOTATION]
      // Wiring envFrom or stamping the checksum changes the pod template: a rollout. It runs only under
      // --restart, through the deploy engine's gates; without it no pod template is touched.
      const needsRollout = deployment !== undefined && (!wired || stamped !== checksum)
      const entry = { component: component.name, region: region.name, configMap: name, changed, envFromAdded: false, waitingForRestart: needsRollout && !options.restart, checksum }
      result.configMaps.push(entry)
      if (!needsRollout || !options.restart) continue
      // Each restart is a release of its own: its own time, author, reason and change-cause.
      const changeCause = `mkt config push --restart ${checksum} by ${options.rollout.audit.deployedBy}${options.rollout.audit.reason ? `: ${options.rollout.audit.reason}` : ''}`
      const { exitCode: _exitCode, ...restart } = await rollTemplateChange(
        { environment: context.environment.name, ...options.rollout, audit: { ...options.rollout.audit, changeCause } },
        cluster,
        component,
        (templatePatch(deployment, component, checksum, wired).spec as { template: Record<string, unknown> }).template,
        wired ? `restart for configuration ${checksum}` : `read ${name} (envFrom) at configuration ${checksum}`,
      )
      entry.envFromAdded = !wired && restart.outcome === 'deployed'
      if (!wired) options.onStep(`${region.name}: ${component.name} ${entry.envFromAdded ? 'now reads' : 'was not wired to'} ${name} (envFrom)`)
      result.restarts.push(restart)
    }
  }
  return result
}

export interface EffectiveEntry {
  key: string
  value: string
  source: string
}

/** The effective configuration of one component: values with their file, secrets masked with their reference. */
export async function effectiveConfig(context: Pick<ConfigContext, 'platform' | 'environment' | 'root'>, component: Component): Promise<{ files: string[]; entries: EffectiveEntry[] }> {
  const [config] = await readEnvironmentConfig(context.root, context.environment.name, context.platform, [component])
  return {
    files: config!.files,
    entries: config!.entries.map((e) => ({
      key: e.key,
      value: e.secret !== undefined ? '***' : e.value!,
      source: e.secret !== undefined ? `Key Vault secret ${e.secret}` : e.source === 'shared' ? `${context.environment.name}/_shared.yaml` : `${context.environment.name}/${component.name}.yaml`,
    })),
  }
}
