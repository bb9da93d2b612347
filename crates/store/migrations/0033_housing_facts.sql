-- What a home's use (房屋用途) and its 治安责任书 day were before they changed, as
-- `person_facts` keeps a person's: each row holds the values in force from `valid_from` until
-- `valid_to` (exclusive); today's are the `housing` row's own. A figure or ledger of a past day
-- takes the row covering that day, else the home's (`housing::on_the_day!`), so a home let out
-- today never counts as rented last year. Written by every change (`housing::set`), never edited.
CREATE TABLE housing_facts (
    id {id},
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    room_id BIGINT NOT NULL REFERENCES org_nodes(id),
    usage TEXT NOT NULL,
    agreement_signed_on TEXT,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    CHECK (valid_from < valid_to)
);
CREATE INDEX housing_facts_room ON housing_facts(room_id, valid_to);
