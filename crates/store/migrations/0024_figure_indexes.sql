-- The catalogue scans a period of reports or visits of a node with a dozen conditions each
-- (indicators::tickets, indicators::visits). These indexes hold every column those scans read,
-- so a street's year is read from the index in order instead of one table lookup per record
-- (measured: 500,000 reports, 1.98 s → 0.41 s). The reports' index replaces tickets_reported,
-- which is its first two columns.
CREATE INDEX tickets_figures_reported ON tickets(community_id, reported_at, area_path, source, category_code,
    responded_at, respond_by, accepted_at, closed_at, rating, rating_channel);
DROP INDEX tickets_reported;
CREATE INDEX tickets_figures_closed ON tickets(community_id, closed_at, area_path, reported_at, due_at)
    WHERE closed_at IS NOT NULL;
CREATE INDEX visits_figures ON visits(community_id, visited_on, area_path, kind, person_id, household_id);
