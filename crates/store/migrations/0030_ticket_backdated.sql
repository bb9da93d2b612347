-- A 事件 brought in from a past 事件台账 is 补录: its report and steps carry the ledger's times,
-- its record time (created_at) the day it was brought in. The ledger marks it so, as it marks
-- back-dated visits, patrols and cases.
ALTER TABLE tickets ADD COLUMN backdated BIGINT NOT NULL DEFAULT 0;
