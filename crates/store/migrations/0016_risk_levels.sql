-- Risk levels (低/中/高风险) of the groups that assess them, in their own column: the tag's
-- details may be sealed, and the visit rules need the level. A rule with a risk level applies
-- to that level only and takes the place of the group's general rule for those people.
ALTER TABLE tags ADD COLUMN risk TEXT;
ALTER TABLE visit_rules ADD COLUMN risk TEXT;
INSERT INTO visit_rules (tag_kind, category, risk, every_days, label, updated_at) VALUES ('correction', NULL, '高风险', 7, '高风险刑释解教/社区矫正人员每周走访一次', '2026-01-01T00:00:00Z');
INSERT INTO visit_rules (tag_kind, category, risk, every_days, label, updated_at) VALUES ('disability', '精神', '高风险', 7, '高风险精神障碍患者每周走访一次', '2026-01-01T00:00:00Z');
