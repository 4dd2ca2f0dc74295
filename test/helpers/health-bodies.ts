// ASP.NET Core HealthChecks bodies (the UIResponseWriter JSON) for the judge and gate tests.
export const healthy = JSON.stringify({
  status: 'Healthy',
  totalDuration: '00:00:00.0213344',
  entries: {
    database: { data: {}, description: 'PostgreSQL reachable', duration: '00:00:00.0102001', status: 'Healthy', tags: ['ready'] },
    servicebus: { data: {}, duration: '00:00:00.0091002', status: 'Healthy', tags: ['ready'] },
  },
})
export const degraded = JSON.stringify({
  status: 'Degraded',
  totalDuration: '00:00:00.5',
  entries: {
    database: { data: {}, duration: '00:00:00.01', status: 'Healthy', tags: ['ready'] },
    cache: { data: {}, description: 'Redis latency 480 ms', duration: '00:00:00.48', status: 'Degraded', tags: ['ready'] },
  },
})
export const unhealthy = JSON.stringify({
  status: 'Unhealthy',
  totalDuration: '00:00:05.0',
  entries: {
    database: { data: {}, description: 'A connection attempt failed', exception: 'Npgsql.NpgsqlException: timeout', duration: '00:00:05', status: 'Unhealthy', tags: ['ready'] },
  },
})
