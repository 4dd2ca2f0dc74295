// The mkt.yaml schema. zod is the source of truth; schemas/mkt.schema.json is generated from it
// (`npm run schemas`) so editors can complete mkt.yaml, and a test fails when that file is stale.
import { z } from 'zod'

const kebabName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, 'must be kebab-case (lowercase letters, digits and dashes), like marketplace-catalog-service')
const durationString = z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration like 500ms, 30s, 5m or 1h')

export const healthPathsSchema = z
  .object({
    live: z.string().startsWith('/').default('/health/live'),
    ready: z.string().startsWith('/').default('/health/ready'),
  })
  .strict()

export const componentSchema = z
  .object({
    name: kebabName.describe('Kubernetes name of the Deployment (kebab-case)'),
    displayName: z
      .string()
      .regex(/^[A-Z][A-Za-z0-9]*$/, 'must be PascalCase, like MarketplaceCatalogService')
      .optional()
      .describe('The .NET project name (PascalCase); derived from name when omitted'),
    kind: z.enum(['service', 'worker']),
    aliases: z.array(kebabName).default([]).describe('Short names people type, like catalog'),
    container: kebabName.optional().describe('Container name in the pod template; defaults to name'),
    containerApp: kebabName.optional().describe('Container app name on Container Apps regions; defaults to name'),
    image: z.string().optional().describe('Image repository, like myacr.azurecr.io/marketplace-catalog-service'),
    port: z.number().int().min(1).max(65535).default(8080),
    health: healthPathsSchema.default({ live: '/health/live', ready: '/health/ready' }),
    public: z.boolean().default(false).describe('Exposed through the API gateway'),
    dependsOn: z.array(z.string()).default([]).describe('Components that must be deployed first (names or aliases)'),
    healthUrl: z.string().url().optional().describe('Optional direct URL probed by mkt health (the API gateway route)'),
    consumes: z
      .array(z.string().min(1))
      .optional()
      .describe('Service Bus queues (or topic/subscription) this component consumes; workers default to the queue named after them'),
    backlog: z
      .object({ active: z.number().int().min(0).optional(), deadLetter: z.number().int().min(0).optional() })
      .strict()
      .optional()
      .describe('Message counts above which mkt health calls the component Degraded (default: defaults.backlog)'),
  })
  .strict()

export const aksClusterSchema = z
  .object({
    subscription: z.string().min(1),
    resourceGroup: z.string().min(1),
    cluster: z.string().min(1),
  })
  .strict()

export const containerAppsTargetSchema = z
  .object({
    subscription: z.string().min(1),
    resourceGroup: z.string().min(1),
    environment: z.string().min(1).describe('The Container Apps managed environment'),
  })
  .strict()

export const regionSchema = z
  .object({
    name: kebabName.describe('Region name, like westeurope'),
    primary: z.boolean().default(false).describe('Writes home here; deploys roll here first'),
    aks: aksClusterSchema.optional().describe('Reach the cluster through Azure (AKS credentials)'),
    kubeContext: z.string().min(1).optional().describe('Reach the cluster through an existing kubeconfig context'),
    sandbox: z.boolean().optional().describe('The embedded sandbox (the local environment); with containerApps, the sandbox\'s ARM endpoint'),
    containerApps: containerAppsTargetSchema.optional().describe('Run on Azure Container Apps instead of Kubernetes (one container app per component)'),
    namespace: kebabName.default('marketplace'),
  })
  .strict()
  .superRefine((region, ctx) => {
    // containerApps may come with sandbox: true (the sandbox's ARM endpoint serves it); never with a cluster.
    const targets = [region.aks, region.kubeContext, region.containerApps ?? region.sandbox].filter((t) => t !== undefined && t !== false)
    if (targets.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of aks, kubeContext, containerApps or sandbox: true' })
    }
  })

export const secretReferenceSchema = z
  .object({ secret: z.string().min(1).describe('Key Vault secret name, like marketplace--ConnectionStrings--Database') })
  .strict()

export const databaseSchema = z
  .object({
    engine: z.enum(['postgresql', 'sqlserver']).default('postgresql'),
    url: secretReferenceSchema
      .or(z.object({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/) }).strict())
      .or(z.object({ sandbox: z.literal(true) }).strict())
      .optional()
      .describe('Where the connection string comes from: a Key Vault secret, an environment variable, or the sandbox'),
  })
  .strict()

export const environmentSchema = z
  .object({
    name: kebabName,
    description: z.string().optional(),
    protected: z.boolean().default(false).describe('Changes need --yes or typing the environment name'),
    cloud: z.enum(['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud']).default('AzureCloud'),
    tenantId: z.string().optional(),
    clientId: z.string().optional().describe('App registration / managed identity client id (workload and managed identity)'),
    auth: z.enum(['default', 'cli', 'workload', 'managed', 'environment', 'device']).optional().describe('How to sign in to Azure (MKT_AUTH overrides)'),
    endpoints: z
      .object({
        arm: z.string().url().optional().describe('Resource Manager URL (default: the cloud’s)'),
        authorityHost: z.string().url().optional(),
      })
      .strict()
      .optional()
      .describe('Endpoint overrides for air-gapped or test setups (default: from the cloud)'),
    regions: z.array(regionSchema).min(1),
    serviceBus: z
      .object({ namespace: z.string().min(1).describe('Fully qualified namespace, like sb-mkt-prod.servicebus.windows.net') })
      .strict()
      .or(z.object({ sandbox: z.literal(true) }).strict())
      .optional()
      .describe('The Service Bus namespace, or the sandbox'),
    keyVault: z
      .object({ url: z.string().url() })
      .strict()
      .or(z.object({ sandbox: z.literal(true) }).strict())
      .optional()
      .describe('The Key Vault, or the sandbox'),
    database: databaseSchema.optional(),
  })
  .strict()
  .superRefine((env, ctx) => {
    const primaries = env.regions.filter((r) => r.primary).length
    if (env.regions.length > 1 && primaries !== 1) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: `needs exactly one primary region when there are several (found ${primaries})` })
    }
    const seen = new Set<string>()
    env.regions.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['regions', i, 'name'], message: `duplicate region "${r.name}"` })
      seen.add(r.name)
    })
  })

export const defaultsSchema = z
  .object({
    environment: z.string().default('local').describe('Environment used when --env is not given'),
    backlog: z
      .object({ active: z.number().int().min(0).default(1000), deadLetter: z.number().int().min(0).default(0) })
      .strict()
      .default({ active: 1000, deadLetter: 0 })
      .describe('Message counts above which a consumer is Degraded in mkt health'),
    timeouts: z
      .object({ rollout: durationString.default('10m'), rollback: durationString.default('5m'), probe: durationString.default('5s') })
      .strict()
      .default({ rollout: '10m', rollback: '5m', probe: '5s' }),
  })
  .strict()

export const platformSchema = z
  .object({
    $schema: z.string().optional(),
    apiVersion: z.literal('mkt/v1'),
    platform: z.object({ name: z.string().min(1), description: z.string().optional() }).strict(),
    components: z.array(componentSchema).min(1),
    environments: z.array(environmentSchema).min(1),
    defaults: defaultsSchema.default({ environment: 'local', backlog: { active: 1000, deadLetter: 0 }, timeouts: { rollout: '10m', rollback: '5m', probe: '5s' } }),
  })
  .strict()

export type PlatformFile = z.input<typeof platformSchema>
export type Platform = z.output<typeof platformSchema>
export type Component = z.output<typeof componentSchema>
export type Environment = z.output<typeof environmentSchema>
export type Region = z.output<typeof regionSchema>
