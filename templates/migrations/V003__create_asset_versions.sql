-- Versions of an asset (AssetVersionService), their artifact, and the quality scan verdict (AssetQualityScanWorker).
CREATE TABLE asset_versions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    asset_id         uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    version          text NOT NULL,
    artifact_uri     text NOT NULL,
    artifact_sha256  text NOT NULL CHECK (artifact_sha256 ~ '^[0-9a-f]{64}$'),
    scan_status      text NOT NULL DEFAULT 'pending' CHECK (scan_status IN ('pending', 'passed', 'failed')),
    published_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (asset_id, version)
);

-- What a version needs (DependencyResolutionService) and what it runs on (AssetCompatibilityService).
CREATE TABLE asset_dependencies (
    asset_version_id   uuid NOT NULL REFERENCES asset_versions (id) ON DELETE CASCADE,
    depends_on_asset   uuid NOT NULL REFERENCES assets (id),
    version_range      text NOT NULL,
    PRIMARY KEY (asset_version_id, depends_on_asset)
);

CREATE TABLE asset_compatibility (
    asset_version_id uuid NOT NULL REFERENCES asset_versions (id) ON DELETE CASCADE,
    platform         text NOT NULL,
    platform_range   text NOT NULL,
    evaluated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset_version_id, platform)
);
