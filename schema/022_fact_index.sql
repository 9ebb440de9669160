-- 022: the facts the exposure fold uses, indexed in the log's order.
--
-- Findings are most of a long log (97 % of the bench's million events) and change no exposure. A rebuild and the
-- fold snapshot's tail read only the other events; without an index of their own each such read walked the whole
-- log in order and dropped the findings (a rebuild at a million events: 9 of its 12.6 s). Partial, so a finding
-- costs no more to append than before.
CREATE INDEX custody_events_facts ON custody_events (xid, position) WHERE type <> 'InvestigationFindingRecorded';
