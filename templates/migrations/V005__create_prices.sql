-- Prices of license terms per currency, valid over a period (PricingService). Money in minor units.
CREATE TABLE prices (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    license_terms_id uuid NOT NULL REFERENCES license_terms (id) ON DELETE CASCADE,
    currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor     bigint NOT NULL CHECK (amount_minor >= 0),
    valid_from       timestamptz NOT NULL DEFAULT now(),
    valid_to         timestamptz,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);

CREATE INDEX prices_current_idx ON prices (license_terms_id, currency, valid_from DESC);
