-- 响应率 counts a report taken up (受理) or declined (不予受理) within one working day. The
-- deadline is fixed when the report comes in, by that day's working calendar, so editing the
-- calendar later can't change a past period's rate; `responded_at` is when it was taken up or
-- declined. Reports already stored get their deadline when the server next starts
-- (tickets::fill_respond_by: working days are not SQL).
ALTER TABLE tickets ADD COLUMN respond_by TEXT;
ALTER TABLE tickets ADD COLUMN responded_at TEXT;
UPDATE tickets SET responded_at = accepted_at WHERE accepted_at IS NOT NULL;
UPDATE tickets SET responded_at = (
    SELECT min(e.at) FROM ticket_events e WHERE e.ticket_id = tickets.id AND e.action = 'refuse'
) WHERE responded_at IS NULL;
