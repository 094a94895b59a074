-- A deleted post keeps a tombstone row, so a comment applied after its post's deletion (the
-- topics are ordered per aggregate only) is dropped rather than orphaned.
ALTER TABLE blog_posts_v1 ADD COLUMN deleted boolean NOT NULL DEFAULT false;
