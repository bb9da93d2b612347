-- Since 0005 persons.id_number holds sealed tokens, random by design, so the UNIQUE index it
-- was created with (0001) checks nothing (uniqueness is persons_id_blind) while every insert
-- pays a random descent into it. SQLite can drop neither a UNIQUE column nor its index without
-- rebuilding the table, so the tokens move to id_sealed; on SQLite id_number stays behind,
-- always NULL (NULL keys sort by rowid, so new rows only append to that index).
-- PostgreSQL drops the column (see the .postgres part).
ALTER TABLE persons ADD COLUMN id_sealed TEXT;
UPDATE persons SET id_sealed = id_number, id_number = NULL WHERE id_number IS NOT NULL;
