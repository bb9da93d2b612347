-- The units (辖区单位) a patrol checked: a 消防 or 安全 patrol records which shops and firms it
-- went into, so 检查单位 is counted from the records, never typed.
CREATE TABLE patrol_units (
    patrol_id BIGINT NOT NULL REFERENCES patrols(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    PRIMARY KEY (patrol_id, unit_id)
);
CREATE INDEX patrol_units_unit ON patrol_units(unit_id);
