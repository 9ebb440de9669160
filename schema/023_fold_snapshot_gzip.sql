-- 023: fold snapshots compressed (format 2).
--
-- A format 1 body is JSON Lines (schema/007): at a million events about 26,000 lines, 7 MB, written every 10,000
-- events. Its WAL took about a second to flush, and every other commit of the cluster (appends, the projector's
-- pages, the webhook outbox) waited behind it: a reader saw facts seconds late whenever a snapshot fell due.
-- Format 2 is the same JSON Lines, gzip-compressed by the writer (about a tenth of the size); `checksum` is the
-- SHA-256 of the stored, compressed body. Snapshots of format 1 are now of an unknown format: ignored, and
-- replaced by the leading projector, as 007 says of any unknown format. The body is stored without PostgreSQL's
-- own compression, which would only try again on compressed bytes.
ALTER TABLE custody_fold_snapshots ALTER COLUMN body SET STORAGE EXTERNAL;
DELETE FROM custody_fold_snapshots WHERE format = 1;
