-- 事件 (issue tickets): categories with 2+2 digit codes and time limits (GB/T 30428, the 12345
-- hotlines), a working-day calendar, the tickets and every step taken on them. Categories, time
-- limits and calendar days are configuration (shared by the whole deployment); tickets and their
-- steps are records and carry their community.
CREATE TABLE ticket_time_limits (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    unit TEXT NOT NULL CHECK (unit IN ('hours', 'working_hours', 'working_days', 'days')),
    updated_at TEXT NOT NULL
);
CREATE TABLE ticket_categories (
    -- '01' for a 大类, '0102' for a 小类 under it.
    code TEXT PRIMARY KEY,
    parent_code TEXT REFERENCES ticket_categories(code),
    name TEXT NOT NULL,
    -- The time limit for an ordinary report and for an urgent one (小类 only).
    limit_normal TEXT REFERENCES ticket_time_limits(code),
    limit_urgent TEXT REFERENCES ticket_time_limits(code),
    active BIGINT NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    CHECK ((parent_code IS NULL) = (length(code) = 2))
);
-- Days that break the Monday-to-Friday rule: holidays (workday = 0) and the weekend days worked
-- in exchange (workday = 1), as the State Council publishes them each year.
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    workday BIGINT NOT NULL CHECK (workday IN (0, 1)),
    name TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE tickets (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    -- Where it is: the node it was reported at (a grid, building or room) and its path.
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    area_path TEXT NOT NULL,
    category_code TEXT NOT NULL REFERENCES ticket_categories(code),
    urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    location TEXT,
    source TEXT NOT NULL CHECK (source IN ('worker', 'resident', 'open311', 'visit', 'patrol')),
    reporter_user_id BIGINT REFERENCES users(id),
    reporter_name TEXT,
    -- Sealed (see sealed.rs).
    reporter_phone TEXT,
    state TEXT NOT NULL,
    assignee_kind TEXT,
    assignee_name TEXT,
    assignee_user_id BIGINT REFERENCES users(id),
    escalated BIGINT NOT NULL DEFAULT 0,
    limit_code TEXT REFERENCES ticket_time_limits(code),
    -- Times are RFC 3339 UTC; due_at is computed in working time when the ticket is dispatched.
    reported_at TEXT NOT NULL,
    accepted_at TEXT,
    dispatched_at TEXT,
    due_at TEXT,
    answered_at TEXT,
    closed_at TEXT,
    extension_pending BIGINT NOT NULL DEFAULT 0,
    extension_amount BIGINT,
    extension_reason TEXT,
    supervised BIGINT NOT NULL DEFAULT 0,
    rating TEXT CHECK (rating IS NULL OR rating IN ('满意', '基本满意', '不满意')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX tickets_area ON tickets(community_id, area_path);
CREATE INDEX tickets_open_due ON tickets(community_id, state, due_at);
CREATE INDEX tickets_reported ON tickets(community_id, reported_at);
CREATE TABLE ticket_events (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    at TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id),
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    note TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

INSERT INTO ticket_time_limits (code, name, amount, unit, updated_at) VALUES ('urgent', '紧急（危及生命财产安全）', 2, 'hours', '2026-01-01T00:00:00Z');
INSERT INTO ticket_time_limits (code, name, amount, unit, updated_at) VALUES ('utility', '水电气暖等民生保障', 24, 'hours', '2026-01-01T00:00:00Z');
INSERT INTO ticket_time_limits (code, name, amount, unit, updated_at) VALUES ('quick', '即时处置', 4, 'working_hours', '2026-01-01T00:00:00Z');
INSERT INTO ticket_time_limits (code, name, amount, unit, updated_at) VALUES ('general', '一般', 7, 'working_days', '2026-01-01T00:00:00Z');
INSERT INTO ticket_time_limits (code, name, amount, unit, updated_at) VALUES ('complex', '复杂', 15, 'working_days', '2026-01-01T00:00:00Z');
INSERT INTO ticket_time_limits (code, name, amount, unit, updated_at) VALUES ('long', '整治拆除类', 20, 'working_days', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('01', NULL, '市容环境', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0101', '01', '私搭乱建', 'long', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0102', '01', '暴露垃圾', 'quick', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0103', '01', '积存垃圾渣土', 'quick', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0104', '01', '道路不洁', 'quick', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0105', '01', '乱堆物堆料', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0106', '01', '占道经营', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0107', '01', '违规广告招牌', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('02', NULL, '安全隐患', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0201', '02', '消防通道堵塞', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0202', '02', '电动车违规充电停放', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0203', '02', '燃气隐患', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0204', '02', '高空坠物隐患', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0205', '02', '房屋安全', 'complex', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0206', '02', '用电隐患', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('03', NULL, '设施设备', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0301', '03', '井盖缺损', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0302', '03', '路灯损坏', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0303', '03', '道路破损', 'complex', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0304', '03', '健身器材损坏', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('04', NULL, '河道水务', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0401', '04', '河道漂浮物', 'quick', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0402', '04', '违规排污', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0403', '04', '河岸垃圾', 'quick', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('05', NULL, '食品安全', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0501', '05', '无证经营', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0502', '05', '过期变质食品', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0503', '05', '卫生不达标', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('06', NULL, '邻里纠纷与诉求', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0601', '06', '邻里纠纷', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0602', '06', '噪声扰民', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0603', '06', '物业纠纷', 'complex', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0604', '06', '停车问题', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('07', NULL, '民生保障', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0701', '07', '停水', 'utility', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0702', '07', '停电', 'utility', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0703', '07', '停气', 'utility', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0704', '07', '供暖', 'utility', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('08', NULL, '垃圾分类', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0801', '08', '分类投放不规范', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0802', '08', '收运不及时', 'quick', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('09', NULL, '病媒防制', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0901', '09', '鼠患', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('0902', '09', '蚊蝇孳生', 'general', 'urgent', '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('99', NULL, '其他', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, updated_at) VALUES ('9901', '99', '其他', 'general', 'urgent', '2026-01-01T00:00:00Z');
