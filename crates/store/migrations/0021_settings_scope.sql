-- District settings and what a community adds for itself. Categories, time limits, the holiday
-- calendar and patrol checklists hold for the whole district and are changed by the district
-- administrator; a community may add its own 小类 (seen and used by it only), set its own
-- amount for a time limit, and add its own items to a patrol checklist. The district's rows
-- stay as they are (community_id NULL); a community's additions carry its id.
ALTER TABLE ticket_categories ADD COLUMN community_id BIGINT REFERENCES org_nodes(id);
CREATE INDEX ticket_categories_community ON ticket_categories(community_id);
CREATE TABLE community_time_limits (
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    code TEXT NOT NULL REFERENCES ticket_time_limits(code),
    amount BIGINT NOT NULL CHECK (amount > 0),
    unit TEXT NOT NULL CHECK (unit IN ('hours', 'working_hours', 'working_days', 'days')),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (community_id, code)
);
CREATE TABLE community_checklist_items (
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    type_code TEXT NOT NULL REFERENCES patrol_types(code),
    -- The community's own items, a JSON array, asked after the district's.
    items TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (community_id, type_code)
);
