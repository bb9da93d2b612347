-- Path columns compare in byte order, as on SQLite: "everything under /1/4/" is the range
-- [/1/4/, /1/4/U+10FFFF), which a linguistic collation answers wrongly (in a zh_CN.UTF-8
-- database '/1/4/5/' is not even inside it), and which only a "C" index can serve. 0001
-- declared its paths so; the later tables did not. Changing a column's collation rebuilds
-- its indexes.
ALTER TABLE tickets ALTER COLUMN area_path TYPE TEXT COLLATE "C";
ALTER TABLE visits ALTER COLUMN area_path TYPE TEXT COLLATE "C";
ALTER TABLE patrol_schedules ALTER COLUMN area_path TYPE TEXT COLLATE "C";
ALTER TABLE patrols ALTER COLUMN area_path TYPE TEXT COLLATE "C";
ALTER TABLE attachments ALTER COLUMN area_path TYPE TEXT COLLATE "C";
ALTER TABLE screenings ALTER COLUMN area_path TYPE TEXT COLLATE "C";
ALTER TABLE mediation_cases ALTER COLUMN area_path TYPE TEXT COLLATE "C";
ALTER TABLE report_links ALTER COLUMN area_path TYPE TEXT COLLATE "C";
