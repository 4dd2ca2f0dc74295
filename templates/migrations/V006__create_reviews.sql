-- Ratings and reviews (ReviewRatingService): one review per customer and asset.
CREATE TABLE reviews (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    asset_id    uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    customer_id uuid NOT NULL,
    rating      smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title       text NOT NULL DEFAULT '',
    body        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (asset_id, customer_id)
);

-- Average and count per asset, for the catalog and search without aggregating on every read.
CREATE VIEW asset_ratings AS
SELECT asset_id, count(*) AS reviews, round(avg(rating)::numeric, 2) AS average
  FROM reviews
 GROUP BY asset_id;
