ALTER TABLE persons DROP COLUMN id_number;
