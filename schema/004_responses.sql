-- 004: exposure rows now carry the organization's latest response, and summaries count exposures nobody has
-- answered. The read models are derived, so they are emptied here and refolded from the log by the next
-- projector run (`custody serve` or `custody projections run`), or at once by `custody projections rebuild`.

DELETE FROM custody_exposures;
DELETE FROM custody_organization_views;
DELETE FROM custody_projection_checkpoints;
