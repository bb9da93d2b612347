-- 巡查 (patrols and inspections): types with their checklists (editable), schedules (a type at a
-- place every so many days), and the patrols made, whose problems become 事件.
CREATE TABLE patrol_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The checklist, as a JSON array of items.
    checklist TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE patrol_schedules (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    area_path TEXT NOT NULL,
    type_code TEXT NOT NULL REFERENCES patrol_types(code),
    every_days BIGINT NOT NULL CHECK (every_days BETWEEN 1 AND 366),
    -- A river section, a street, a market: what the patrol covers.
    target TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ended_on TEXT
);
CREATE INDEX patrol_schedules_area ON patrol_schedules(community_id, area_path);
CREATE TABLE patrols (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    area_path TEXT NOT NULL,
    type_code TEXT NOT NULL REFERENCES patrol_types(code),
    schedule_id BIGINT REFERENCES patrol_schedules(id),
    patrolled_on TEXT NOT NULL,
    route TEXT NOT NULL DEFAULT '',
    -- Checklist answers: {"item": "正常" | "问题" | "未查"}.
    results TEXT NOT NULL DEFAULT '{}',
    findings TEXT NOT NULL DEFAULT '',
    problems BIGINT NOT NULL DEFAULT 0,
    user_id BIGINT NOT NULL REFERENCES users(id),
    worker_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX patrols_schedule ON patrols(schedule_id, patrolled_on);
CREATE INDEX patrols_area ON patrols(community_id, area_path, patrolled_on);
ALTER TABLE tickets ADD COLUMN patrol_id BIGINT REFERENCES patrols(id);
INSERT INTO patrol_types (code, name, checklist, updated_at) VALUES ('safety', '安全巡查', '["楼道堆物","电动车违规充电","高空坠物隐患","围墙及设施损坏"]', '2026-01-01T00:00:00Z');
INSERT INTO patrol_types (code, name, checklist, updated_at) VALUES ('fire', '消防巡查', '["消防通道畅通","灭火器在有效期","消防栓完好","疏散指示正常"]', '2026-01-01T00:00:00Z');
INSERT INTO patrol_types (code, name, checklist, updated_at) VALUES ('river', '河道巡查（河长制）', '["水面漂浮物","岸坡垃圾","排污口异常","护栏及警示牌"]', '2026-01-01T00:00:00Z');
INSERT INTO patrol_types (code, name, checklist, updated_at) VALUES ('food', '食品安全检查', '["证照齐全","从业人员健康证","食品在保质期","环境卫生"]', '2026-01-01T00:00:00Z');
INSERT INTO patrol_types (code, name, checklist, updated_at) VALUES ('waste', '垃圾分类巡查', '["分类投放","桶站整洁","收运及时","宣传到位"]', '2026-01-01T00:00:00Z');
INSERT INTO patrol_types (code, name, checklist, updated_at) VALUES ('pests', '病媒防制巡查', '["鼠迹","积水孳生蚊蝇","毒饵站完好"]', '2026-01-01T00:00:00Z');
INSERT INTO patrol_types (code, name, checklist, updated_at) VALUES ('rental', '出租房治安查验', '["承租人登记","治安责任书","消防器材","群租隐患"]', '2026-01-01T00:00:00Z');
INSERT INTO patrol_types (code, name, checklist, updated_at) VALUES ('forest', '森林防火巡查', '["野外用火","可燃物堆积","防火宣传牌"]', '2026-01-01T00:00:00Z');
