-- What a person's 人员类型, 人户一致 and 就业状况 were before they changed: each row holds the
-- values in force from `valid_from` until `valid_to` (exclusive). The values in force today are
-- the person's own columns; a figure or ledger of a past day takes the row covering that day if
-- there is one, else the person's (`CASE WHEN f.id IS NULL THEN p.x ELSE f.x END` over `LEFT JOIN
-- person_facts f`: an employment unknown then stays unknown), so a
-- change today never rewrites last year's 户籍人口 or 登记失业. Written by every change of these
-- values (`people::update`), never edited.
CREATE TABLE person_facts (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    person_id BIGINT NOT NULL REFERENCES persons(id),
    person_type TEXT NOT NULL,
    registered_here BIGINT NOT NULL,
    employment TEXT,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    CHECK (valid_from < valid_to)
);
CREATE INDEX person_facts_person ON person_facts(person_id, valid_to);
