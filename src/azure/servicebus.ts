// A ServiceBusAdministrationClient for an environment: the sandbox's endpoint for `local`, the namespace in
// mkt.yaml otherwise, with the operator's identity or a SAS connection string from MKT_SERVICEBUS_CONNECTION_STRING
// (never from a flag). Throttling (429 with Retry-After) and 503 are retried by the SDK's pipeline.
import type { ServiceBusAdministrationClient } from '@azure/service-bus'
import { configError } from '../errors.js'
import type { Environment, Platform } from '../platform/schema.js'
import { redactor } from '../redact.js'
import { credentialFor } from './credentials.js'
import { ensureReachable } from './failures.js'
import { sandboxAzureEndpoint } from './sandbox.js'

export interface ServiceBusTarget {
  client: ServiceBusAdministrationClient
  /** For messages: the namespace host. */
  namespace: string
}

const RETRY = { maxRetries: 6, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 }

export async function serviceBusFor(platform: Platform, environment: Environment): Promise<ServiceBusTarget> {
  const { ServiceBusAdministrationClient } = await import('@azure/service-bus')
  const config = environment.serviceBus
  if (!config) {
    throw configError(`environment ${environment.name} has no serviceBus in mkt.yaml`, { hints: ['Add `serviceBus: { namespace: <name>.servicebus.windows.net }` to the environment.'] })
  }
  if ('sandbox' in config) {
    const endpoint = await sandboxAzureEndpoint(platform, 'serviceBus', environment.name)
    return {
      client: new ServiceBusAdministrationClient(endpoint.host, endpoint.credential, { tlsOptions: { ca: endpoint.ca }, retryOptions: RETRY }),
      namespace: endpoint.host,
    }
  }
  const connectionString = process.env.MKT_SERVICEBUS_CONNECTION_STRING
  if (connectionString) {
    const key = /SharedAccessKey=([^;]+)/i.exec(connectionString)?.[1]
    redactor.register(key)
    redactor.register(connectionString)
    return { client: new ServiceBusAdministrationClient(connectionString, { retryOptions: RETRY }), namespace: config.namespace }
  }
  await ensureReachable(`Service Bus ${config.namespace}`, config.namespace)
  return {
    client: new ServiceBusAdministrationClient(config.namespace, (await credentialFor(environment)).credential, { retryOptions: RETRY }),
    namespace: config.namespace,
  }
}
