-- Installations of asset versions into customer environments (AssetInstallationService, InstallationWorker).
CREATE TABLE installations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    asset_version_id uuid NOT NULL REFERENCES asset_versions (id),
    license_id       uuid REFERENCES licenses (id),
    customer_id      uuid NOT NULL,
    target           text NOT NULL,
    status           text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'installing', 'installed', 'failed', 'uninstalled')),
    failure_reason   text,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz
);

CREATE INDEX installations_customer_idx ON installations (customer_id, requested_at DESC);
CREATE INDEX installations_open_idx ON installations (status) WHERE status IN ('requested', 'installing');
