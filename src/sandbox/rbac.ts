// ServiceAccounts, Roles and RoleBindings: stored and validated like the apiserver does
// (kubernetes/pkg/apis/rbac/validation), so in-cluster manifests pass `kubectl apply --dry-run=server`.
// Nothing is enforced: the sandbox's one token is the cluster admin, as on a fresh AKS cluster's admin
// credential, so escalation checks always pass.
import { asArray, asObject, deepEqual } from './json.js'
import { invalidValue, notSupported, required, type FieldError } from './errors.js'
import type { ResourceStrategy } from './strategy.js'

const RBAC_GROUP = 'rbac.authorization.k8s.io'

function validateRules(rules: unknown): FieldError[] {
  const errors: FieldError[] = []
  asArray(rules).forEach((value, i) => {
    const rule = asObject(value) ?? {}
    const field = `rules[${i}]`
    if (asArray(rule.verbs).length === 0) errors.push(required(`${field}.verbs`, 'verbs must contain at least one value'))
    if (asArray(rule.nonResourceURLs).length > 0) {
      errors.push(invalidValue(`${field}.nonResourceURLs`, rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'))
      return
    }
    if (asArray(rule.apiGroups).length === 0) errors.push(required(`${field}.apiGroups`, 'resource rules must supply at least one api group'))
    if (asArray(rule.resources).length === 0) errors.push(required(`${field}.resources`, 'resource rules must supply at least one resource'))
  })
  return errors
}

function validateRoleBinding(roleRef: unknown, subjects: unknown): FieldError[] {
  const errors: FieldError[] = []
  const ref = asObject(roleRef) ?? {}
  if (ref.apiGroup !== RBAC_GROUP) errors.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]))
  if (ref.kind !== 'Role' && ref.kind !== 'ClusterRole') errors.push(notSupported('roleRef.kind', ref.kind ?? '', ['Role', 'ClusterRole']))
  if (typeof ref.name !== 'string' || ref.name === '') errors.push(required('roleRef.name'))
  asArray(subjects).forEach((value, i) => {
    const subject = asObject(value) ?? {}
    const field = `subjects[${i}]`
    if (typeof subject.name !== 'string' || subject.name === '') errors.push(required(`${field}.name`))
    if (subject.kind === 'ServiceAccount') {
      if (subject.apiGroup !== undefined && subject.apiGroup !== '') errors.push(notSupported(`${field}.apiGroup`, subject.apiGroup, ['']))
    } else if (subject.kind === 'User' || subject.kind === 'Group') {
      if (subject.apiGroup !== RBAC_GROUP) errors.push(notSupported(`${field}.apiGroup`, subject.apiGroup ?? '', [RBAC_GROUP]))
    } else {
      errors.push(notSupported(`${field}.kind`, subject.kind ?? '', ['ServiceAccount', 'User', 'Group']))
    }
  })
  return errors
}

export const serviceAccountStrategy: ResourceStrategy = { nameRule: 'dns1123-subdomain' }

export const roleStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  validate: (object) => validateRules(object.rules),
}

export const roleBindingStrategy: ResourceStrategy = {
  nameRule: 'dns1123-subdomain',
  validate: (object) => validateRoleBinding(object.roleRef, object.subjects),
  validateUpdate: (object, old) => (deepEqual(object.roleRef, old.roleRef) ? [] : [invalidValue('roleRef', object.roleRef, 'cannot change roleRef')]),
}
