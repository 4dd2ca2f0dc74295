-- Assets: what the catalog lists and search indexes.
CREATE TABLE assets (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    publisher_id uuid NOT NULL REFERENCES publishers (id),
    slug         text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name         text NOT NULL,
    summary      text NOT NULL DEFAULT '',
    category     text NOT NULL,
    tags         text[] NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'deprecated', 'removed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (publisher_id, slug)
);

CREATE INDEX assets_category_idx ON assets (category) WHERE status = 'published';
CREATE INDEX assets_tags_idx ON assets USING gin (tags);
