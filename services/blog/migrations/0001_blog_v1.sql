-- The Blog's read model: posts (drafts and published) with their comment counts, and comments.
CREATE TABLE blog_posts_v1 (
    post_id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    author uuid NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    tags text[] NOT NULL,
    published boolean NOT NULL DEFAULT false,
    published_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    comment_count integer NOT NULL DEFAULT 0
);
-- Listings: newest first, paged by (created_at, post_id).
CREATE INDEX blog_posts_v1_newest ON blog_posts_v1 (tenant_id, created_at DESC, post_id DESC);
CREATE INDEX blog_posts_v1_tags ON blog_posts_v1 USING gin (tags);

CREATE TABLE blog_comments_v1 (
    comment_id uuid PRIMARY KEY,
    post_id uuid NOT NULL,
    tenant_id text NOT NULL,
    author uuid NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX blog_comments_v1_post ON blog_comments_v1 (post_id, created_at, comment_id);
