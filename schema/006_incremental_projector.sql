-- 006: what the incremental projector needs to resume exactly.
--
-- The read models are the views of the folded log *at a world time*: a fact may be stamped up to 60 s in the
-- future, and it enters the views only when its time comes. `evaluated_at` is that time, written with the rows it
-- covers, so a restarted projector knows which future-stamped facts the tables do not show yet. NULL (a
-- checkpoint written before this migration) means `updated_at`.
ALTER TABLE custody_projection_checkpoints ADD COLUMN evaluated_at timestamptz;

-- The projector rewrites rows in place (a pause flips `paused` on thousands of them); with room left on each page
-- those updates are HOT (no index touched). A rebuild gives its new table the same setting.
ALTER TABLE custody_exposures SET (fillfactor = 70);
