-- License terms an asset is offered under, and the licenses customers hold (LicenseService).
CREATE TABLE license_terms (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    asset_id    uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('free', 'perpetual', 'subscription', 'trial')),
    seats       integer CHECK (seats IS NULL OR seats > 0),
    term_days   integer CHECK (term_days IS NULL OR term_days > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE licenses (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    license_terms_id uuid NOT NULL REFERENCES license_terms (id),
    customer_id      uuid NOT NULL,
    issued_at        timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,
    revoked_at       timestamptz
);

CREATE INDEX licenses_customer_idx ON licenses (customer_id);
