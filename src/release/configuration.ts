// A release's configuration, kept undoable: the data of each ConfigMap it pushes is saved in the release record
// before the push, and put back by the compensation step (before the pods roll back, so they read it again) and
// by `mkt release rollback`. ConfigMap data holds no secret values (secrets are Key Vault references).
import { configMapName, readConfigMap } from '../config/service.js'
import { connectRegion, loadKubeClient } from '../kube/client.js'
import { kubeStatusOf, toKubeError } from '../kube/errors.js'
import type { Component, Environment, Platform, Region } from '../platform/schema.js'
import type { PreparedRelease } from './plan.js'
import type { RecordConfigMap } from './record.js'

/** The current data of each ConfigMap the release pushes, per region (null: it does not exist yet). */
export async function snapshotConfigMaps(prepared: PreparedRelease, components: Component[]): Promise<RecordConfigMap[]> {
  const k8s = await loadKubeClient()
  const snapshots: RecordConfigMap[] = []
  for (const { region, cluster } of prepared.connected) {
    // Container Apps keep their configuration on the app, not in ConfigMaps: nothing to save there.
    if (!cluster) continue
    const core = cluster.connection.kubeConfig.makeApiClient(k8s.CoreV1Api)
    for (const component of components) {
      const name = configMapName(component.name)
      const found = await readConfigMap(core, region.namespace, name, region.name)
      snapshots.push({ region: region.name, component: component.name, configMap: name, changed: false, previous: found ? { ...(found.data ?? {}) } : null })
    }
  }
  return snapshots
}

/** Puts back the data of every ConfigMap the release changed; reports (never throws) what it could not. */
export async function restoreConfigMaps(
  context: { platform: Platform; environment: Environment; regions: Region[] },
  configured: RecordConfigMap[],
  onStep: (message: string) => void,
): Promise<void> {
  const changed = configured.filter((c) => c.changed)
  if (changed.length === 0) return
  const k8s = await loadKubeClient()
  for (const region of context.regions) {
    const mine = changed.filter((c) => c.region === region.name)
    if (mine.length === 0) continue
    try {
      const connection = await connectRegion(context.platform, context.environment, region)
      const core = connection.kubeConfig.makeApiClient(k8s.CoreV1Api)
      for (const entry of mine) {
        try {
          if (entry.previous === null) {
            await core.deleteNamespacedConfigMap({ name: entry.configMap, namespace: region.namespace }).catch((error: unknown) => {
              if (kubeStatusOf(error).code !== 404) throw error
            })
          } else {
            const current = await readConfigMap(core, region.namespace, entry.configMap, region.name)
            // The checksum annotation goes too: the next push compares against it and writes again.
            const annotations = { ...(current?.metadata?.annotations ?? {}) }
            delete annotations['mkt.dev/config-checksum']
            await core.replaceNamespacedConfigMap({
              name: entry.configMap,
              namespace: region.namespace,
              body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...current?.metadata, name: entry.configMap, namespace: region.namespace, annotations }, data: entry.previous },
            })
          }
          entry.changed = false
          onStep(`configuration: ${region.name}/${entry.configMap} restored to its data before the release`)
        } catch (error) {
          onStep(`warning: ${region.name}/${entry.configMap} could not be restored: ${toKubeError(error, { region: region.name, action: `restore configmap ${entry.configMap}` }).message}`)
        }
      }
    } catch (error) {
      onStep(`warning: region ${region.name} unreachable; its ConfigMaps were not restored: ${(error as Error).message}`)
    }
  }
}
