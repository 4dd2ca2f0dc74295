// The exact request bodies mkt sends to roll out, roll back, run a canary and record verdicts. Each function
// returns the Content-Type with the body: @kubernetes/client-node defaults every patch to json-patch+json
// (shared/reference/k8s.md §4.2), so the caller must pass `contentType` with
// setHeaderOptions('Content-Type', patch.contentType).
//
// Audit annotations go on the Deployment's metadata: when the controller creates (or re-adopts) the new
// ReplicaSet it copies the Deployment's annotations onto it, minus the skip list, which is how
// `kubernetes.io/change-cause` reaches `kubectl rollout history`. The same copying is why a verdict must be
// written on the Deployment too (see verdictPatches).

import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node'
import { configError, failedError } from '../errors.js'
import { canonicalPodTemplate, sortedMap } from './go-json.js'
import {
  ANNOTATIONS_TO_SKIP,
  CHANGE_CAUSE_ANNOTATION,
  MKT_ANNOTATIONS,
  nameOf,
  revisionOf,
  type Verdict,
} from './objects.js'
import { withoutHash } from './status.js'

export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json'
export const JSON_PATCH = 'application/json-patch+json'
export type PatchContentType = typeof STRATEGIC_MERGE_PATCH | typeof JSON_PATCH

export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove' | 'test'
  path: string
  value?: unknown
}

export type PatchRequest =
  | { contentType: typeof STRATEGIC_MERGE_PATCH; body: Record<string, unknown> }
  | { contentType: typeof JSON_PATCH; body: JsonPatchOperation[] }

/** Who released what, and why: becomes `kubernetes.io/change-cause` and the `mkt.dev/*` annotations. */
export interface ReleaseAudit {
  /** holderIdentity-style `user@host`, plus the pipeline run when in CI. */
  deployedBy: string
  /** Epoch milliseconds; written as RFC 3339. */
  deployedAt: number
  reason?: string
  gitSha?: string
  runUrl?: string
  /** Overrides the default `mkt deploy <image> by <who>: <reason>`. */
  changeCause?: string
}

/** The rolling-update knobs a canary changes and promote/abort restore. */
export interface RollingUpdateKnobs {
  maxSurge?: number | string
  maxUnavailable?: number | string
}

// A Deployment's annotations share a 256 KiB budget with everything else on it; a pasted log is not a reason.
const MAX_ANNOTATION_TEXT = 1024

/**
 * Sets one container's image (kubectl `set image` body, with `$setElementOrder/containers` listing every
 * container in order) and writes the release's audit annotations with verdict `pending`. mkt annotations the
 * Deployment carries from an earlier release and this one does not set are removed (null), so a stale reason
 * or run URL is never copied onto the new ReplicaSet.
 */
export function rolloutPatch(deployment: V1Deployment, container: string, image: string, audit: ReleaseAudit): PatchRequest {
  const containers = deployment.spec?.template?.spec?.containers ?? []
  if (!containers.some((c) => c.name === container)) {
    throw configError(
      `container "${container}" not found in deployment ${nameOf(deployment)} (containers: ${containers.map((c) => c.name).join(', ') || 'none'})`,
      { hints: ['Set `container:` for the component in mkt.yaml to the container name in the pod template.'] },
    )
  }
  return {
    contentType: STRATEGIC_MERGE_PATCH,
    body: {
      metadata: { annotations: releaseAnnotations(deployment, image, audit) },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': containers.map((c) => ({ name: c.name })),
            containers: [{ image, name: container }],
          },
        },
      },
    },
  }
}

/** The audit annotations of a release, keys sorted; absent optional values delete what the Deployment had. */
export function releaseAnnotations(deployment: V1Deployment, image: string, audit: ReleaseAudit): Record<string, string | null> {
  const existing = deployment.metadata?.annotations ?? {}
  const reason = clip(audit.reason)
  const values: Record<string, string | undefined> = {
    [CHANGE_CAUSE_ANNOTATION]: clip(audit.changeCause) ?? `mkt deploy ${image} by ${audit.deployedBy}${reason === undefined ? '' : `: ${reason}`}`,
    [MKT_ANNOTATIONS.deployedBy]: audit.deployedBy,
    [MKT_ANNOTATIONS.deployedAt]: new Date(audit.deployedAt).toISOString(),
    [MKT_ANNOTATIONS.reason]: reason,
    [MKT_ANNOTATIONS.gitSha]: clip(audit.gitSha),
    [MKT_ANNOTATIONS.runUrl]: clip(audit.runUrl),
    [MKT_ANNOTATIONS.verdict]: 'pending' satisfies Verdict,
    [MKT_ANNOTATIONS.verdictReason]: undefined,
  }
  const annotations: Record<string, string | null> = {}
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) annotations[key] = value
    else if (key in existing) annotations[key] = null
  }
  return sortedMap(annotations as Record<string, string>)
}

/**
 * kubectl `rollout undo` to the given ReplicaSet, byte for byte (kubectl rollback.go): a JSON patch replacing
 * `/spec/template` with the ReplicaSet's template minus `pod-template-hash`, and `/metadata/annotations` with
 * the Deployment's values of the skip-listed keys plus the ReplicaSet's other annotations (so its change-cause
 * and mkt verdict come back). Preconditions are the caller's, as in kubectl: the Deployment is not paused
 * (use rollbackPatch, which handles that) and its template differs from the target's (history.ts
 * rollbackTarget reports `already-current`). `/metadata/annotations` must exist for `replace`; the controller
 * always sets the revision annotation, so it does.
 */
export function undoPatch(deployment: V1Deployment, targetRs: V1ReplicaSet): PatchRequest {
  return {
    contentType: JSON_PATCH,
    body: [
      { op: 'replace', path: '/spec/template', value: restoredTemplate(targetRs) },
      { op: 'replace', path: '/metadata/annotations', value: restoredAnnotations(deployment, targetRs) },
    ],
  }
}

/**
 * Roll back to a ReplicaSet whatever state the Deployment is in: the kubectl undo patch when it is running,
 * and when it is paused (an interrupted canary; kubectl refuses those) the same patch plus unpausing and
 * restoring the rolling-update knobs the canary changed.
 */
export function rollbackPatch(deployment: V1Deployment, targetRs: V1ReplicaSet, originalRollingUpdate?: RollingUpdateKnobs): PatchRequest {
  return deployment.spec?.paused === true ? abortCanaryPatch(deployment, targetRs, originalRollingUpdate) : undoPatch(deployment, targetRs)
}

/** The rolling-update knobs of a Deployment now, to hand back to promote/abort after a canary. */
export function rollingUpdateOf(deployment: V1Deployment): RollingUpdateKnobs | undefined {
  const rollingUpdate = deployment.spec?.strategy?.rollingUpdate
  if (rollingUpdate === undefined) return undefined
  return { maxSurge: rollingUpdate.maxSurge, maxUnavailable: rollingUpdate.maxUnavailable }
}

// Canary on one Deployment (shared/reference/k8s.md §6): surge N new pods next to all stable ones, pause before
// the canary pods become available (old pods may only be scaled down after that), bake, then promote or abort.

/**
 * Step one of a canary: the rollout patch plus `maxSurge=N, maxUnavailable=0`. The controller creates the new
 * ReplicaSet with N replicas; send pausePatch as soon as it exists. (Pausing in the same request does not work:
 * a paused Deployment never creates its new ReplicaSet.)
 */
export function canaryStartPatch(deployment: V1Deployment, container: string, image: string, audit: ReleaseAudit, canaryReplicas: number): PatchRequest {
  requireRollingUpdate(deployment)
  const rollout = rolloutPatch(deployment, container, image, audit)
  const body = rollout.body as { metadata: unknown; spec: Record<string, unknown> }
  return {
    contentType: STRATEGIC_MERGE_PATCH,
    body: { metadata: body.metadata, spec: { strategy: { rollingUpdate: { maxSurge: canaryReplicas, maxUnavailable: 0 } }, template: body.spec.template } },
  }
}

/** kubectl `rollout pause` body. */
export function pausePatch(): PatchRequest {
  return { contentType: STRATEGIC_MERGE_PATCH, body: { spec: { paused: true } } }
}

/**
 * Widen a paused canary to N new pods: unpause with `maxSurge=N, maxUnavailable=0`; pause again as soon as the
 * new ReplicaSet's spec.replicas reaches N. Caveat: unlike the first step, the canary pods already available let
 * the controller start scaling old pods down in its next sync, so the re-pause races it; an intermediate step
 * may therefore run with up to N fewer stable pods than intended. Capacity never drops below spec.replicas.
 */
export function canaryStepPatch(canaryReplicas: number): PatchRequest {
  return {
    contentType: STRATEGIC_MERGE_PATCH,
    body: { spec: { paused: false, strategy: { rollingUpdate: { maxSurge: canaryReplicas, maxUnavailable: 0 } } } },
  }
}

/** Promote a canary: resume the rollout and restore the rolling-update knobs it had before the canary. */
export function promotePatch(originalRollingUpdate?: RollingUpdateKnobs): PatchRequest {
  return {
    contentType: STRATEGIC_MERGE_PATCH,
    body: { spec: { paused: false, strategy: { rollingUpdate: knobsOrDefaults(originalRollingUpdate) } } },
  }
}

/**
 * Abort a canary, back to the stable ReplicaSet in one request: the undo patch's template and annotations,
 * unpause, and the original rolling-update knobs. The stable ReplicaSet becomes the new one again and the
 * controller scales the canary down. JSON patch (not strategic merge) so the template and annotations are
 * replaced, not merged: nothing of the canary's template or audit survives. `add` on /spec/paused and
 * /spec/strategy/rollingUpdate sets them whether or not they are present.
 */
export function abortCanaryPatch(deployment: V1Deployment, stableRs: V1ReplicaSet, originalRollingUpdate?: RollingUpdateKnobs): PatchRequest {
  const undo = undoPatch(deployment, stableRs).body as JsonPatchOperation[]
  return {
    contentType: JSON_PATCH,
    body: [
      ...undo,
      { op: 'add', path: '/spec/paused', value: false },
      { op: 'add', path: '/spec/strategy/rollingUpdate', value: presentKnobs(originalRollingUpdate) },
    ],
  }
}

/**
 * The patches that record a verdict. The ReplicaSet's annotation is what history reads, but while that
 * ReplicaSet is the Deployment's new one the controller copies the Deployment's annotations onto it on every
 * sync, so a verdict written only on the ReplicaSet reverts to the Deployment's `pending`. Hence:
 * - `replicaSet`: always send (history shows it at once);
 * - `deployment`: send too when the ReplicaSet is still the current one (passed, or failed and left in place);
 *   after a rollback it is not, and the Deployment carries the restored revision's annotations instead.
 * `reason` goes to `mkt.dev/verdict-reason` (removed when absent, so no stale reason lingers).
 */
export function verdictPatches(rsName: string, verdict: Verdict, reason?: string): { replicaSet: PatchRequest & { name: string }; deployment: PatchRequest } {
  const annotations = sortedMap({ [MKT_ANNOTATIONS.verdict]: verdict, [MKT_ANNOTATIONS.verdictReason]: clip(reason) ?? null } as Record<string, string>)
  const body = { metadata: { annotations } }
  return {
    replicaSet: { contentType: STRATEGIC_MERGE_PATCH, body, name: rsName },
    deployment: { contentType: STRATEGIC_MERGE_PATCH, body: structuredClone(body) },
  }
}

/** The ReplicaSet half of verdictPatches. */
export function verdictPatch(rsName: string, verdict: Verdict, reason?: string): PatchRequest & { name: string } {
  return verdictPatches(rsName, verdict, reason).replicaSet
}

/** The undo command a person would type to reverse a rollout of `deployment` (printed after each mutation). */
export function undoCommand(deployment: V1Deployment, namespace?: string): string {
  const revision = revisionOf(deployment)
  const ns = namespace ?? deployment.metadata?.namespace
  return `kubectl rollout undo deployment/${nameOf(deployment)}${ns === undefined ? '' : ` -n ${ns}`}${revision > 0 ? ` --to-revision=${revision}` : ''}`
}

function restoredTemplate(targetRs: V1ReplicaSet): Record<string, unknown> {
  const template = withoutHash(targetRs.spec?.template)
  if (template === undefined) throw failedError(`replica set ${nameOf(targetRs)} has no pod template`)
  return canonicalPodTemplate(template)
}

function restoredAnnotations(deployment: V1Deployment, targetRs: V1ReplicaSet): Record<string, string> {
  const deploymentAnnotations = deployment.metadata?.annotations ?? {}
  const annotations: Record<string, string> = {}
  for (const key of ANNOTATIONS_TO_SKIP) {
    if (key in deploymentAnnotations) annotations[key] = deploymentAnnotations[key]!
  }
  for (const [key, value] of Object.entries(targetRs.metadata?.annotations ?? {})) {
    if (!ANNOTATIONS_TO_SKIP.includes(key)) annotations[key] = value
  }
  return sortedMap(annotations)
}

function requireRollingUpdate(deployment: V1Deployment): void {
  const type = deployment.spec?.strategy?.type ?? 'RollingUpdate'
  if (type !== 'RollingUpdate') {
    throw failedError(`deployment ${nameOf(deployment)} uses the ${type} strategy; a canary needs RollingUpdate`)
  }
}

// null deletes the field and the API server defaults it again (25%), which is what an absent value meant.
const knobsOrDefaults = (knobs: RollingUpdateKnobs | undefined): Record<string, number | string | null> => ({
  maxSurge: knobs?.maxSurge ?? null,
  maxUnavailable: knobs?.maxUnavailable ?? null,
})

// In a JSON patch an absent knob is left out, and the API server defaults it.
const presentKnobs = (knobs: RollingUpdateKnobs | undefined): RollingUpdateKnobs => ({
  ...(knobs?.maxSurge === undefined ? {} : { maxSurge: knobs.maxSurge }),
  ...(knobs?.maxUnavailable === undefined ? {} : { maxUnavailable: knobs.maxUnavailable }),
})

function clip(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const trimmed = text.trim()
  if (trimmed === '') return undefined
  return trimmed.length > MAX_ANNOTATION_TEXT ? `${trimmed.slice(0, MAX_ANNOTATION_TEXT - 1)}…` : trimmed
}
