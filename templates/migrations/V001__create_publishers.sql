-- Publishers: the organisations that publish assets to the marketplace.
CREATE TABLE publishers (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    display_name  text NOT NULL,
    contact_email text NOT NULL,
    verified      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
