-- 治安巡逻: the patrols the offices' summaries describe (patrol teams by shift and route, gates
-- and car parks, manhole covers, lighting and cameras, the 群防群治 volunteers on duty).
INSERT INTO patrol_types (code, name, checklist, updated_at) VALUES ('public_order', '治安巡逻', '["出入口及停车场","可疑人员及车辆","井盖及公共设施","路灯及监控","群防群治队员到岗"]', '2026-01-01T00:00:00Z');
