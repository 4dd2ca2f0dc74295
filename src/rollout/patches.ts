// The exact request bodies mkt sends to roll out, roll back, run a canary and record verdicts. Each function
// returns the Content-Type with the body: @kubernetes/client-node defaults every patch to json-patch+json
// (shared/reference/k8s.md §4.2), so the caller must pass `contentType` with
// setHeaderOptions('Content-Type', patch.contentType).
//
// Audit annotations go on the Deployment's metadata: when the controller creates (or re-adopts) the new
// ReplicaSet it copies the Deployment's annotations onto it, minus the skip list, which is how
// `kubernetes.io/change-cause` reaches `kubectl rollout history`. The same copying is why a verdict must be
// written on the Deployment too (see verdictPatches), and why every record names the pod-template-hash it
// belongs to (bindPatches): a ReplicaSet made by kubectl gets a copy naming another template.

import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node'
import { configError, failedError } from '../errors.js'
import {
  ANNOTATIONS_TO_SKIP,
  CANARY_ORIGINAL_ANNOTATION,
  CHANGE_CAUSE_ANNOTATION,
  MKT_ANNOTATIONS,
  nameOf,
  revisionOf,
  type Verdict,
} from './objects.js'
import { podTemplateHashOf, withoutHash } from './status.js'

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

/** What a canary changes on a Deployment, saved before it does (CANARY_ORIGINAL_ANNOTATION). */
export interface CanaryOriginal {
  paused: boolean
  rollingUpdate?: RollingUpdateKnobs
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
    // Unknown until the controller creates the ReplicaSet: bindPatches writes it then.
    [MKT_ANNOTATIONS.templateHash]: undefined,
  }
  const annotations: Record<string, string | null> = {}
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) annotations[key] = value
    else if (key in existing) annotations[key] = null
  }
  return sortedMap(annotations)
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
 * Roll back to a ReplicaSet whatever state the Deployment is in: the kubectl undo patch when no canary is in
 * progress, and when one is (paused, or its saved original is still on the Deployment; kubectl refuses paused
 * Deployments) the same patch plus restoring the strategy and paused state saved before the canary.
 */
export function rollbackPatch(deployment: V1Deployment, targetRs: V1ReplicaSet): PatchRequest {
  const original = canaryOriginalOf(deployment)
  if (deployment.spec?.paused !== true && original === undefined) return undoPatch(deployment, targetRs)
  return abortCanaryPatch(deployment, targetRs, original ?? { paused: false, ...knobsField(rollingUpdateOf(deployment)) })
}

/** The rolling-update knobs of a Deployment now. */
export function rollingUpdateOf(deployment: V1Deployment): RollingUpdateKnobs | undefined {
  const rollingUpdate = deployment.spec?.strategy?.rollingUpdate
  if (rollingUpdate === undefined) return undefined
  return { ...(rollingUpdate.maxSurge === undefined ? {} : { maxSurge: rollingUpdate.maxSurge }), ...(rollingUpdate.maxUnavailable === undefined ? {} : { maxUnavailable: rollingUpdate.maxUnavailable }) }
}

/** The state saved by the canary that last started on this Deployment and has not ended, if any. */
export function canaryOriginalOf(deployment: V1Deployment): CanaryOriginal | undefined {
  const text = deployment.metadata?.annotations?.[CANARY_ORIGINAL_ANNOTATION]
  if (text === undefined) return undefined
  try {
    const parsed = JSON.parse(text) as { paused?: unknown; rollingUpdate?: { maxSurge?: unknown; maxUnavailable?: unknown } }
    const knob = (value: unknown) => (typeof value === 'number' || typeof value === 'string' ? value : undefined)
    const knobs: RollingUpdateKnobs = {}
    const surge = knob(parsed.rollingUpdate?.maxSurge)
    const unavailable = knob(parsed.rollingUpdate?.maxUnavailable)
    if (surge !== undefined) knobs.maxSurge = surge
    if (unavailable !== undefined) knobs.maxUnavailable = unavailable
    return { paused: parsed.paused === true, ...(parsed.rollingUpdate ? { rollingUpdate: knobs } : {}) }
  } catch {
    return undefined
  }
}

/**
 * What the Deployment had before any canary: the saved original when an earlier canary never ended (its values
 * are the canary's, not the Deployment's), else its state now.
 */
export function originalStateOf(deployment: V1Deployment): CanaryOriginal {
  return canaryOriginalOf(deployment) ?? { paused: deployment.spec?.paused === true, ...knobsField(rollingUpdateOf(deployment)) }
}

const knobsField = (knobs: RollingUpdateKnobs | undefined) => (knobs === undefined ? {} : { rollingUpdate: knobs })

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
  const body = rollout.body as { metadata: { annotations: Record<string, string | null> }; spec: Record<string, unknown> }
  // Saved in the same request that changes them, so no exit path can lose them.
  const annotations = { ...body.metadata.annotations, [CANARY_ORIGINAL_ANNOTATION]: JSON.stringify(originalStateOf(deployment)) }
  return {
    contentType: STRATEGIC_MERGE_PATCH,
    body: { metadata: { annotations: sortedMap(annotations) }, spec: { strategy: { rollingUpdate: { maxSurge: canaryReplicas, maxUnavailable: 0 } }, template: body.spec.template } },
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

/**
 * Promote a canary: resume the rollout with the rolling-update knobs saved before the canary, and drop the saved
 * state. Resumes even when the original was paused: a paused Deployment would never finish the promotion.
 */
export function promotePatch(original: CanaryOriginal): PatchRequest {
  return {
    contentType: STRATEGIC_MERGE_PATCH,
    body: { metadata: { annotations: { [CANARY_ORIGINAL_ANNOTATION]: null } }, spec: { paused: false, strategy: { rollingUpdate: knobsOrDefaults(original.rollingUpdate) } } },
  }
}

/**
 * Abort a canary, back to the stable ReplicaSet in one request: the undo patch's template and annotations,
 * unpause, and the original rolling-update knobs. The stable ReplicaSet becomes the new one again and the
 * controller scales the canary down. JSON patch (not strategic merge) so the template and annotations are
 * replaced, not merged: nothing of the canary's template or audit survives. `add` on /spec/paused and
 * /spec/strategy/rollingUpdate sets them whether or not they are present.
 */
export function abortCanaryPatch(deployment: V1Deployment, stableRs: V1ReplicaSet, original: CanaryOriginal): PatchRequest {
  const undo = undoPatch(deployment, stableRs).body as JsonPatchOperation[]
  return {
    contentType: JSON_PATCH,
    body: [
      ...undo,
      { op: 'add', path: '/spec/paused', value: original.paused },
      { op: 'add', path: '/spec/strategy/rollingUpdate', value: presentKnobs(original.rollingUpdate) },
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
export function verdictPatches(rs: V1ReplicaSet, verdict: Verdict, reason?: string): { replicaSet: PatchRequest & { name: string }; deployment: PatchRequest } {
  return recordPatches(rs, { [MKT_ANNOTATIONS.verdict]: verdict, [MKT_ANNOTATIONS.verdictReason]: clip(reason) ?? null })
}

/** The ReplicaSet half of verdictPatches. */
export function verdictPatch(rs: V1ReplicaSet, verdict: Verdict, reason?: string): PatchRequest & { name: string } {
  return verdictPatches(rs, verdict, reason).replicaSet
}

/**
 * Binds the release record the controller copied onto a new ReplicaSet to that ReplicaSet's template: from now
 * on history counts its author, reason and verdict as this revision's. Sent as soon as the ReplicaSet exists.
 */
export function bindPatches(rs: V1ReplicaSet): { replicaSet: PatchRequest & { name: string }; deployment: PatchRequest } {
  return recordPatches(rs, {})
}

/**
 * Marks a revision mkt did not release (an external one) with a verdict: the author, reason and provenance the
 * controller copied from an earlier release are removed so that binding does not make them this revision's.
 */
export function externalVerdictPatch(rs: V1ReplicaSet, verdict: Verdict, reason: string, options: { inheritedChangeCause?: boolean } = {}): PatchRequest & { name: string } {
  const { replicaSet } = verdictPatches(rs, verdict, reason)
  const annotations = (replicaSet.body as { metadata: { annotations: Record<string, string | null> } }).metadata.annotations
  for (const key of [MKT_ANNOTATIONS.deployedBy, MKT_ANNOTATIONS.deployedAt, MKT_ANNOTATIONS.reason, MKT_ANNOTATIONS.gitSha, MKT_ANNOTATIONS.runUrl]) annotations[key] = null
  // A change-cause copied from the release it was made from is not this revision's (kubectl history shows it).
  if (options.inheritedChangeCause) annotations[CHANGE_CAUSE_ANNOTATION] = null
  return { contentType: STRATEGIC_MERGE_PATCH, name: replicaSet.name, body: { metadata: { annotations: sortedMap(annotations) } } }
}

function recordPatches(rs: V1ReplicaSet, annotations: Record<string, string | null>): { replicaSet: PatchRequest & { name: string }; deployment: PatchRequest } {
  const hash = podTemplateHashOf(rs)
  if (hash === undefined) throw failedError(`replica set ${nameOf(rs)} has no pod-template-hash label`)
  const body = { metadata: { annotations: sortedMap({ ...annotations, [MKT_ANNOTATIONS.templateHash]: hash }) } }
  return {
    replicaSet: { contentType: STRATEGIC_MERGE_PATCH, body, name: nameOf(rs) },
    deployment: { contentType: STRATEGIC_MERGE_PATCH, body: structuredClone(body) },
  }
}

/** The undo command a person would type to reverse a rollout of `deployment` (printed after each mutation). */
export function undoCommand(deployment: V1Deployment, namespace?: string): string {
  const revision = revisionOf(deployment)
  const ns = namespace ?? deployment.metadata?.namespace
  return `kubectl rollout undo deployment/${nameOf(deployment)}${ns === undefined ? '' : ` -n ${ns}`}${revision > 0 ? ` --to-revision=${revision}` : ''}`
}

/**
 * The target's template minus pod-template-hash, exactly as the server sent it: read as raw JSON (cluster.ts),
 * its fields keep the server's order and any field newer than this client library, so nothing is dropped.
 */
function restoredTemplate(targetRs: V1ReplicaSet): Record<string, unknown> {
  const template = withoutHash(targetRs.spec?.template)
  if (template === undefined) throw failedError(`replica set ${nameOf(targetRs)} has no pod template`)
  return template as Record<string, unknown>
}

function restoredAnnotations(deployment: V1Deployment, targetRs: V1ReplicaSet): Record<string, string> {
  const deploymentAnnotations = deployment.metadata?.annotations ?? {}
  const annotations: Record<string, string> = {}
  for (const key of ANNOTATIONS_TO_SKIP) {
    if (key in deploymentAnnotations) annotations[key] = deploymentAnnotations[key]!
  }
  for (const [key, value] of Object.entries(targetRs.metadata?.annotations ?? {})) {
    // A canary's saved state is the Deployment's, not a revision's: an undo must not bring an old one back.
    if (!ANNOTATIONS_TO_SKIP.includes(key) && key !== CANARY_ORIGINAL_ANNOTATION) annotations[key] = value
  }
  return sortedMap(annotations)
}

/** A map with its keys sorted, as Go's encoding/json writes maps (kubectl's patch bodies). */
export function sortedMap<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
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
