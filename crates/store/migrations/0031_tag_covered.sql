-- 保障人数 (how many people a 低保 household's allowance covers) in its own column: the figures
-- sum it (保障人数 by A/B/C), and a sum can't reach into a JSON text on both backends alike.
-- Written with the details by every write of a tag (`TagContent::covered`).
ALTER TABLE tags ADD COLUMN covered BIGINT;
